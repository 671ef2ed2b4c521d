#include "policy/jmespath/jmespath.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "policy/jmespath/ast.h"
#include "policy/jmespath/interpreter.h"
#include "policy/jmespath/json_util.h"
#include "policy/jmespath/parser.h"
#include "policy/jmespath/value.h"

namespace vigil::jmespath {

absl::StatusOr<Json> Expression::Evaluate(const Json& document) const {
  return Evaluate(document, EvaluateOptions());
}

absl::StatusOr<Json> Expression::Evaluate(
    const Json& document, const EvaluateOptions& options) const {
  internal::Interpreter interpreter(*ast_, options.max_cost);
  ASSIGN_OR_RETURN(internal::Value result,
                   interpreter.Eval(ast_->root, internal::Value::Ref(document)));
  return interpreter.Materialize(std::move(result));
}

std::string Expression::DebugString() const {
  return internal::DebugString(*ast_);
}

absl::StatusOr<Expression> Compile(absl::string_view expression) {
  ASSIGN_OR_RETURN(internal::Ast ast, internal::Parse(expression));
  return Expression(std::make_shared<const internal::Ast>(std::move(ast)),
                    std::make_shared<const std::string>(expression));
}

absl::StatusOr<std::string> Search(absl::string_view json_text,
                                   absl::string_view expression) {
  ASSIGN_OR_RETURN(Json document, ParseJson(json_text));
  ASSIGN_OR_RETURN(Expression compiled, Compile(expression));
  ASSIGN_OR_RETURN(Json result, compiled.Evaluate(document));
  return SerializeJson(result);
}

}  // namespace vigil::jmespath
