#include "policy/jmespath/jmespath.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "policy/jmespath/ast.h"
#include "policy/jmespath/error.h"
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
  ASSIGN_OR_RETURN(
      internal::Value result,
      interpreter.Eval(ast_->root, internal::Value::Ref(document)));
  return interpreter.Materialize(std::move(result));
}

namespace internal {

// What a Result evaluated by EvaluateShared() points into: its input (kept
// alive), the tree's literals, the evaluation arena and the result itself.
struct ResultState {
  std::shared_ptr<const void> input;
  std::shared_ptr<const Ast> ast;
  Interpreter::Arena arena;
  Value root;
  absl::Status serializable;
};

}  // namespace internal

absl::StatusOr<Result> Expression::EvaluateShared(const Result& input) const {
  return EvaluateShared(input, EvaluateOptions());
}

absl::StatusOr<Result> Expression::EvaluateShared(
    const Result& input, const EvaluateOptions& options) const {
  internal::Interpreter interpreter(*ast_, options.max_cost);
  internal::Value current = input.json_ != nullptr
                                ? internal::Value::Ref(*input.json_)
                                : internal::Value::ListRef(*input.list_);
  ASSIGN_OR_RETURN(internal::Value result,
                   interpreter.Eval(ast_->root, std::move(current)));
  // Evaluate() fails here when copying the result would; so must this.
  RETURN_IF_ERROR(interpreter.CheckMaterializable(result));
  auto state = std::make_shared<internal::ResultState>();
  state->input = input.owner_;
  state->ast = ast_;
  state->arena = std::move(interpreter).ReleaseArena();
  state->root = std::move(result);
  state->serializable =
      internal::Interpreter::CheckSerializableAfterMaterializable(state->root);
  const internal::Value& root = state->root;
  const absl::Status* serializable = &state->serializable;
  Result out(std::move(state), root);
  out.serializable_ = serializable;
  return out;
}

Result::Result() : json_(&internal::NullJson()) {}

Result::Result(std::shared_ptr<const void> owner, const internal::Value& value)
    : owner_(std::move(owner)), json_(value.json()), list_(value.list()) {}

Result Result::Of(std::shared_ptr<const Json> document) {
  Result r;
  r.json_ = document.get();
  r.owner_ = std::move(document);
  return r;
}

size_t Result::array_size() const { return list_->size(); }

Result Result::element(size_t i) const { return Result(owner_, (*list_)[i]); }

const void* Result::identity() const {
  return json_ != nullptr ? static_cast<const void*>(json_)
                          : static_cast<const void*>(list_);
}

namespace {

Json ListToJson(const std::vector<internal::Value>& list) {
  Json array = Json::array();
  array.get_ptr<Json::array_t*>()->reserve(list.size());
  for (const internal::Value& element : list) {
    if (const Json* json = element.json()) {
      array.push_back(*json);
    } else {
      array.push_back(ListToJson(*element.list()));
    }
  }
  return array;
}

bool ListWithin(const std::vector<internal::Value>& list, int depth_left) {
  if (depth_left <= 0) return false;
  for (const internal::Value& element : list) {
    if (const Json* json = element.json()) {
      int64_t nodes = 0;
      if (!internal::CheckDepthAndCount(*json, depth_left - 1, &nodes)) {
        return false;
      }
    } else if (!ListWithin(*element.list(), depth_left - 1)) {
      return false;
    }
  }
  return true;
}

// Compact text of an array, exactly as DumpCompact() would write it.
void AppendList(const std::vector<internal::Value>& list, std::string& out) {
  out.push_back('[');
  bool first = true;
  for (const internal::Value& element : list) {
    if (!first) out.push_back(',');
    first = false;
    if (const Json* json = element.json()) {
      out += internal::DumpCompact(*json);
    } else {
      AppendList(*element.list(), out);
    }
  }
  out.push_back(']');
}

}  // namespace

Json Result::ToJson() const {
  return json_ != nullptr ? *json_ : ListToJson(*list_);
}

absl::Status Result::CheckSerializable() const {
  if (serializable_ != nullptr) return *serializable_;
  if (json_ != nullptr) return jmespath::CheckSerializable(*json_);
  if (!ListWithin(*list_, kMaxValueDepth)) {
    return internal::MakeError(ErrorKind::kLimitExceeded, 0,
                               "JSON nests deeper than kMaxValueDepth");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Result::Serialize() const {
  RETURN_IF_ERROR(CheckSerializable());
  if (json_ != nullptr) return internal::DumpCompact(*json_);
  std::string out;
  AppendList(*list_, out);
  return out;
}

std::string Expression::DebugString() const {
  return internal::DebugString(*ast_);
}

namespace {

// The tree and the text, in one allocation shared by both pointers of an
// Expression.
struct Compiled {
  internal::Ast ast;
  std::string text;
};

}  // namespace

absl::StatusOr<Expression> Compile(absl::string_view expression) {
  ASSIGN_OR_RETURN(internal::Ast ast, internal::Parse(expression));
  auto compiled = std::make_shared<const Compiled>(
      Compiled{std::move(ast), std::string(expression)});
  return Expression(
      std::shared_ptr<const internal::Ast>(compiled, &compiled->ast),
      std::shared_ptr<const std::string>(compiled, &compiled->text));
}

absl::StatusOr<std::string> Search(absl::string_view json_text,
                                   absl::string_view expression) {
  ASSIGN_OR_RETURN(Json document, ParseJson(json_text));
  ASSIGN_OR_RETURN(Expression compiled, Compile(expression));
  ASSIGN_OR_RETURN(Json result, compiled.Evaluate(document));
  return SerializeJson(result);
}

}  // namespace vigil::jmespath
