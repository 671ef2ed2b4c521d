#include "policy/jmespath/ast.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "policy/jmespath/json_util.h"

namespace vigil::jmespath::internal {
namespace {

absl::string_view ComparatorName(Comparator c) {
  switch (c) {
    case Comparator::kEq:
      return "==";
    case Comparator::kNe:
      return "!=";
    case Comparator::kLt:
      return "<";
    case Comparator::kLte:
      return "<=";
    case Comparator::kGt:
      return ">";
    case Comparator::kGte:
      return ">=";
  }
  return "?";
}

std::string Optional(const std::optional<int64_t>& v) {
  return v.has_value() ? absl::StrCat(*v) : "_";
}

void Render(const Ast& ast, NodeId id, std::string& out) {
  if (id == kNoNode) {
    out += "()";
    return;
  }
  const Node& n = ast.nodes[id];
  auto binary = [&](absl::string_view name) {
    absl::StrAppend(&out, "(", name, " ");
    Render(ast, n.lhs, out);
    out += " ";
    Render(ast, n.rhs, out);
    out += ")";
  };
  switch (n.kind) {
    case NodeKind::kIdentity:
      out += "@";
      return;
    case NodeKind::kField:
      absl::StrAppend(&out, "(field ", ast.Name(n), ")");
      return;
    case NodeKind::kLiteral:
      absl::StrAppend(&out, "(literal ", DumpCompact(ast.Literal(n)), ")");
      return;
    case NodeKind::kSubexpression:
    case NodeKind::kPipe:
      out += n.kind == NodeKind::kPipe ? "(pipe" : "(subexpression";
      for (NodeId arg : n.args) {
        out += " ";
        Render(ast, arg, out);
      }
      out += ")";
      return;
    case NodeKind::kIndex:
      out += "(index ";
      Render(ast, n.lhs, out);
      absl::StrAppend(&out, " ", n.index, ")");
      return;
    case NodeKind::kSlice:
      out += "(slice ";
      Render(ast, n.lhs, out);
      absl::StrAppend(&out, " ", Optional(n.start_part()), ":",
                      Optional(n.stop_part()), ":", Optional(n.step_part()), ")");
      return;
    case NodeKind::kFlatten:
      out += "(flatten ";
      Render(ast, n.lhs, out);
      out += ")";
      return;
    case NodeKind::kProjection:
      return binary("projection");
    case NodeKind::kValueProjection:
      return binary("value-projection");
    case NodeKind::kFilterProjection:
      out += "(filter ";
      Render(ast, n.lhs, out);
      out += " ";
      Render(ast, n.condition, out);
      out += " ";
      Render(ast, n.rhs, out);
      out += ")";
      return;
    case NodeKind::kMultiSelectList:
    case NodeKind::kFunctionCall:
      absl::StrAppend(&out, "(",
                      n.kind == NodeKind::kFunctionCall ? ast.Name(n)
                                                        : "list");
      for (NodeId arg : n.args) {
        out += " ";
        Render(ast, arg, out);
      }
      out += ")";
      return;
    case NodeKind::kMultiSelectHash:
      out += "(hash";
      for (size_t i = 0; i < n.args.size(); ++i) {
        absl::StrAppend(&out, " ", ast.Key(n, i), "=");
        Render(ast, n.args[i], out);
      }
      out += ")";
      return;
    case NodeKind::kOr:
      return binary("or");
    case NodeKind::kAnd:
      return binary("and");
    case NodeKind::kNot:
      out += "(not ";
      Render(ast, n.lhs, out);
      out += ")";
      return;
    case NodeKind::kComparator:
      return binary(ComparatorName(n.comparator));
    case NodeKind::kExpressionRef:
      out += "(& ";
      Render(ast, n.lhs, out);
      out += ")";
      return;
  }
}

}  // namespace

std::string DebugString(const Ast& ast) {
  std::string out;
  Render(ast, ast.root, out);
  return out;
}

}  // namespace vigil::jmespath::internal
