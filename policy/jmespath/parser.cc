#include "policy/jmespath/parser.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "policy/jmespath/ast.h"
#include "policy/jmespath/error.h"
#include "policy/jmespath/functions.h"
#include "policy/jmespath/lexer.h"
#include "policy/jmespath/limits.h"

namespace vigil::jmespath::internal {
namespace {

// Binding powers, indexed by TokenType (ORDER TokenType in lexer.h); the
// values of jmespath.py's Parser.BINDING_POWER.
constexpr std::array<int, kTokenTypeCount> kBindingPower = {
    0,   // kEof
    0,   // kUnquotedIdentifier
    0,   // kQuotedIdentifier
    0,   // kLiteral
    0,   // kNumber
    40,  // kDot
    20,  // kStar
    55,  // kLbracket
    0,   // kRbracket
    50,  // kLbrace
    0,   // kRbrace
    60,  // kLparen
    0,   // kRparen
    0,   // kComma
    0,   // kColon
    1,   // kPipe
    2,   // kOr
    3,   // kAnd
    45,  // kNot
    0,   // kExpref
    21,  // kFilter
    9,   // kFlatten
    0,   // kCurrent
    5,   // kEq
    5,   // kNe
    5,   // kLt
    5,   // kLte
    5,   // kGt
    5,   // kGte
};

// Tokens binding weaker than this end a projection's right-hand side.
constexpr int kProjectionStop = 10;

int BindingPower(TokenType type) {
  return kBindingPower[static_cast<size_t>(type)];
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {
    // Every token makes at most about one node (projections add an identity
    // leaf for the bracket they consume), so this rarely regrows.
    ast_.nodes.reserve(tokens_.size() + 1);
  }

  absl::StatusOr<Ast> Run() {
    ASSIGN_OR_RETURN(NodeId root, Expression(0));
    if (Current().type != TokenType::kEof) {
      return SyntaxError(
          Current(),
          absl::StrCat("unexpected ", TokenTypeName(Current().type)));
    }
    ast_.root = root;
    RETURN_IF_ERROR(CheckExpressionReferences());
    MarkFieldChains();
    return std::move(ast_);
  }

 private:
  class NestingGuard {
   public:
    explicit NestingGuard(int& nesting) : nesting_(nesting) { ++nesting_; }
    ~NestingGuard() { --nesting_; }
    NestingGuard(const NestingGuard&) = delete;
    NestingGuard& operator=(const NestingGuard&) = delete;

   private:
    int& nesting_;
  };

  void MarkFieldChains() {
    for (Node& node : ast_.nodes) {
      if (node.kind != NodeKind::kSubexpression) continue;
      node.field_chain =
          std::all_of(node.args.begin(), node.args.end(), [&](NodeId step) {
            return ast_.nodes[step].kind == NodeKind::kField;
          });
    }
  }

  Token& Current() { return tokens_[pos_]; }
  TokenType Lookahead(size_t n) const {
    return tokens_[std::min(pos_ + n, tokens_.size() - 1)].type;
  }
  Token& Advance() {
    Token& token = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return token;
  }
  int Column(const Token& token) const { return token.column; }

  absl::Status SyntaxError(const Token& at, absl::string_view detail) const {
    return MakeError(ErrorKind::kSyntax, Column(at), detail);
  }

  // Consumes a `type` token that closes `opener`.
  absl::Status ExpectClosing(TokenType type, const Token& opener) {
    if (Current().type == type) {
      Advance();
      return absl::OkStatus();
    }
    return SyntaxError(
        Current(),
        absl::StrCat("expected ", TokenTypeName(type), " (to close ",
                     TokenTypeName(opener.type), " at column ", Column(opener),
                     "), got ", TokenTypeName(Current().type)));
  }

  absl::Status Expect(TokenType type, absl::string_view context) {
    if (Current().type == type) {
      Advance();
      return absl::OkStatus();
    }
    return SyntaxError(
        Current(), absl::StrCat("expected ", TokenTypeName(type), " ", context,
                                ", got ", TokenTypeName(Current().type)));
  }

  int32_t DepthOf(NodeId id) const {
    return id == kNoNode ? 0 : ast_.nodes[id].depth;
  }

  absl::StatusOr<NodeId> CheckDepth(NodeId id) {
    if (ast_.nodes[id].depth > kMaxNestingDepth) {
      return MakeError(ErrorKind::kLimitExceeded, ast_.nodes[id].column,
                       "expression nests deeper than kMaxNestingDepth");
    }
    return id;
  }

  // Adds `node`, computing its depth from its children.
  absl::StatusOr<NodeId> Add(Node node) {
    int32_t deepest = std::max(
        {DepthOf(node.lhs), DepthOf(node.rhs), DepthOf(node.condition)});
    for (NodeId arg : node.args) deepest = std::max(deepest, DepthOf(arg));
    node.depth = deepest + 1;
    ast_.nodes.push_back(std::move(node));
    return CheckDepth(static_cast<NodeId>(ast_.nodes.size() - 1));
  }

  absl::StatusOr<NodeId> Leaf(NodeKind kind, const Token& at) {
    Node node;
    node.kind = kind;
    node.column = Column(at);
    return Add(std::move(node));
  }

  absl::StatusOr<NodeId> Binary(NodeKind kind, const Token& at, NodeId lhs,
                                NodeId rhs) {
    Node node;
    node.kind = kind;
    node.column = Column(at);
    node.lhs = lhs;
    node.rhs = rhs;
    return Add(std::move(node));
  }

  // Appends `rhs` to the n-ary chain `left` (a kSubexpression or kPipe) when
  // `left` already is one, else makes a new chain [left, rhs].
  absl::StatusOr<NodeId> Chain(NodeKind kind, const Token& at, NodeId left,
                               NodeId rhs) {
    if (ast_.nodes[left].kind == kind) {
      Node& chain = ast_.nodes[left];
      chain.args.push_back(rhs);
      chain.depth = std::max(chain.depth, DepthOf(rhs) + 1);
      return CheckDepth(left);
    }
    Node node;
    node.kind = kind;
    node.column = Column(at);
    node.args = {left, rhs};
    return Add(std::move(node));
  }

  // expression -> nud-token led-token*, each led-token binding tighter than
  // `rbp` (Pratt parsing).
  absl::StatusOr<NodeId> Expression(int rbp) {
    NestingGuard guard(nesting_);
    if (nesting_ > kMaxNestingDepth) {
      return MakeError(ErrorKind::kLimitExceeded, Column(Current()),
                       "expression nests deeper than kMaxNestingDepth");
    }
    Token& first = Advance();
    ASSIGN_OR_RETURN(NodeId left, Nud(first));
    while (rbp < BindingPower(Current().type)) {
      Token& op = Advance();
      ASSIGN_OR_RETURN(left, Led(op, left));
    }
    return left;
  }

  absl::StatusOr<NodeId> Nud(Token& token) {
    switch (token.type) {
      case TokenType::kLiteral: {
        Node node;
        node.kind = NodeKind::kLiteral;
        node.column = Column(token);
        node.data = static_cast<int32_t>(ast_.literals.size());
        ast_.literals.push_back(std::move(token.literal));
        return Add(std::move(node));
      }
      case TokenType::kUnquotedIdentifier:
        return Field(token);
      case TokenType::kQuotedIdentifier:
        if (Current().type == TokenType::kLparen) {
          return SyntaxError(token,
                             "a quoted identifier cannot name a function");
        }
        return Field(token);
      case TokenType::kStar:
        return StarNud(token);
      case TokenType::kFilter: {
        ASSIGN_OR_RETURN(NodeId identity, Leaf(NodeKind::kIdentity, token));
        return Filter(token, identity);
      }
      case TokenType::kLbrace:
        return MultiSelectHash(token);
      case TokenType::kLparen: {
        // paren-expression -> "(" expression ")"
        ASSIGN_OR_RETURN(NodeId inner, Expression(0));
        RETURN_IF_ERROR(ExpectClosing(TokenType::kRparen, token));
        return inner;
      }
      case TokenType::kFlatten: {
        ASSIGN_OR_RETURN(NodeId identity, Leaf(NodeKind::kIdentity, token));
        return Flatten(token, identity);
      }
      case TokenType::kNot: {
        // not-expression -> "!" expression
        ASSIGN_OR_RETURN(NodeId operand,
                         Expression(BindingPower(TokenType::kNot)));
        return Binary(NodeKind::kNot, token, operand, kNoNode);
      }
      case TokenType::kLbracket:
        return BracketNud(token);
      case TokenType::kCurrent:
        return Leaf(NodeKind::kIdentity, token);
      case TokenType::kExpref: {
        // expression-type -> "&" expression
        ASSIGN_OR_RETURN(NodeId body,
                         Expression(BindingPower(TokenType::kExpref)));
        return Binary(NodeKind::kExpressionRef, token, body, kNoNode);
      }
      case TokenType::kEof:
        return SyntaxError(token, "unexpected end of expression");
      default:
        return SyntaxError(
            token, absl::StrCat("unexpected ", TokenTypeName(token.type)));
    }
  }

  absl::StatusOr<NodeId> Led(Token& token, NodeId left) {
    switch (token.type) {
      case TokenType::kDot:
        return Dot(token, left);
      case TokenType::kPipe: {
        // pipe-expression -> expression "|" expression
        ASSIGN_OR_RETURN(NodeId rhs, Expression(BindingPower(token.type)));
        return Chain(NodeKind::kPipe, token, left, rhs);
      }
      case TokenType::kOr:
      case TokenType::kAnd: {
        // or-expression -> expression "||" expression
        // and-expression -> expression "&&" expression
        ASSIGN_OR_RETURN(NodeId rhs, Expression(BindingPower(token.type)));
        return Binary(
            token.type == TokenType::kOr ? NodeKind::kOr : NodeKind::kAnd,
            token, left, rhs);
      }
      case TokenType::kEq:
      case TokenType::kNe:
      case TokenType::kLt:
      case TokenType::kLte:
      case TokenType::kGt:
      case TokenType::kGte:
        return Comparison(token, left);
      case TokenType::kLparen:
        return FunctionCall(token, left);
      case TokenType::kFilter:
        return Filter(token, left);
      case TokenType::kFlatten:
        return Flatten(token, left);
      case TokenType::kLbracket:
        return BracketLed(token, left);
      default:
        return SyntaxError(
            token, absl::StrCat("unexpected ", TokenTypeName(token.type)));
    }
  }

  absl::StatusOr<NodeId> Field(Token& token) {
    Node node;
    node.kind = NodeKind::kField;
    node.column = Column(token);
    node.data = static_cast<int32_t>(ast_.names.size());
    ast_.names.push_back(std::move(token.text));
    return Add(std::move(node));
  }

  // wildcard -> "*" projection-rhs   (a projection over object values)
  absl::StatusOr<NodeId> StarNud(const Token& token) {
    ASSIGN_OR_RETURN(NodeId identity, Leaf(NodeKind::kIdentity, token));
    NodeId rhs;
    if (Current().type == TokenType::kRbracket) {
      ASSIGN_OR_RETURN(rhs, Leaf(NodeKind::kIdentity, token));
    } else {
      ASSIGN_OR_RETURN(rhs, ProjectionRhs(BindingPower(TokenType::kStar)));
    }
    return Binary(NodeKind::kValueProjection, token, identity, rhs);
  }

  // sub-expression -> expression "." ( identifier / multi-select-list /
  //                   multi-select-hash / function-expression / "*" )
  absl::StatusOr<NodeId> Dot(const Token& token, NodeId left) {
    if (Current().type == TokenType::kStar) {
      Advance();
      ASSIGN_OR_RETURN(NodeId rhs,
                       ProjectionRhs(BindingPower(TokenType::kDot)));
      return Binary(NodeKind::kValueProjection, token, left, rhs);
    }
    ASSIGN_OR_RETURN(NodeId rhs, DotRhs(BindingPower(TokenType::kDot)));
    return Chain(NodeKind::kSubexpression, token, left, rhs);
  }

  // comparator-expression -> expression comparator expression
  absl::StatusOr<NodeId> Comparison(const Token& token, NodeId left) {
    ASSIGN_OR_RETURN(NodeId rhs, Expression(BindingPower(token.type)));
    Node node;
    node.kind = NodeKind::kComparator;
    node.column = Column(token);
    node.lhs = left;
    node.rhs = rhs;
    switch (token.type) {
      case TokenType::kEq:
        node.comparator = Comparator::kEq;
        break;
      case TokenType::kNe:
        node.comparator = Comparator::kNe;
        break;
      case TokenType::kLt:
        node.comparator = Comparator::kLt;
        break;
      case TokenType::kLte:
        node.comparator = Comparator::kLte;
        break;
      case TokenType::kGt:
        node.comparator = Comparator::kGt;
        break;
      default:
        node.comparator = Comparator::kGte;
        break;
    }
    return Add(std::move(node));
  }

  // function-expression -> unquoted-string "(" [function-arg
  //                        *("," function-arg)] ")"
  absl::StatusOr<NodeId> FunctionCall(const Token& open, NodeId left) {
    if (ast_.nodes[left].kind != NodeKind::kField) {
      return SyntaxError(open, "'(' must follow a function name");
    }
    std::vector<NodeId> args;
    if (Current().type == TokenType::kRparen) {
      Advance();
    } else {
      while (true) {
        ASSIGN_OR_RETURN(NodeId arg, Expression(0));
        args.push_back(arg);
        if (Current().type == TokenType::kComma) {
          Advance();
          continue;
        }
        if (Current().type == TokenType::kRparen) {
          Advance();
          break;
        }
        return SyntaxError(Current(),
                           absl::StrCat("expected ',' or ')' (to close '(' at "
                                        "column ",
                                        Column(open), "), got ",
                                        TokenTypeName(Current().type)));
      }
    }
    Node& node = ast_.nodes[left];
    RETURN_IF_ERROR(ResolveFunction(node, args));
    node.kind = NodeKind::kFunctionCall;
    for (NodeId arg : args) node.depth = std::max(node.depth, DepthOf(arg) + 1);
    node.args = std::move(args);
    return CheckDepth(left);
  }

  absl::Status ResolveFunction(Node& node, const std::vector<NodeId>& args) {
    const std::string& name = ast_.Name(node);
    const FunctionSpec* spec = LookupFunction(name);
    if (spec == nullptr) {
      return MakeError(ErrorKind::kUnknownFunction, node.column,
                       absl::StrCat("unknown function ", name, "()"));
    }
    const size_t n = args.size();
    const size_t want = static_cast<size_t>(spec->param_count);
    if (spec->variadic ? n < want : n != want) {
      return MakeError(
          ErrorKind::kInvalidArity, node.column,
          absl::StrCat(name, "() takes ", spec->variadic ? "at least " : "",
                       want, " argument", want == 1 ? "" : "s", ", got ", n));
    }
    for (size_t i = 0; i < n; ++i) {
      const bool wants_ref = (spec->ParamType(i) & kArgExpref) != 0;
      const bool is_ref = ast_.nodes[args[i]].kind == NodeKind::kExpressionRef;
      if (wants_ref != is_ref) {
        return MakeError(
            ErrorKind::kInvalidType, ast_.nodes[args[i]].column,
            absl::StrCat(name, "(): argument ", i + 1,
                         wants_ref ? " must be an expression reference (&expr)"
                                   : " cannot be an expression reference"));
      }
    }
    node.function = spec;
    return absl::OkStatus();
  }

  // filter-expression -> expression "[?" expression "]" projection-rhs
  absl::StatusOr<NodeId> Filter(const Token& open, NodeId left) {
    ASSIGN_OR_RETURN(NodeId condition, Expression(0));
    RETURN_IF_ERROR(ExpectClosing(TokenType::kRbracket, open));
    NodeId rhs;
    if (Current().type == TokenType::kFlatten) {
      ASSIGN_OR_RETURN(rhs, Leaf(NodeKind::kIdentity, open));
    } else {
      ASSIGN_OR_RETURN(rhs, ProjectionRhs(BindingPower(TokenType::kFilter)));
    }
    Node node;
    node.kind = NodeKind::kFilterProjection;
    node.column = Column(open);
    node.lhs = left;
    node.rhs = rhs;
    node.condition = condition;
    return Add(std::move(node));
  }

  // flatten -> expression "[]" projection-rhs
  absl::StatusOr<NodeId> Flatten(const Token& token, NodeId left) {
    ASSIGN_OR_RETURN(NodeId flat,
                     Binary(NodeKind::kFlatten, token, left, kNoNode));
    ASSIGN_OR_RETURN(NodeId rhs,
                     ProjectionRhs(BindingPower(TokenType::kFlatten)));
    return Binary(NodeKind::kProjection, token, flat, rhs);
  }

  // "[" at the start of an expression: an index or slice of @, the list
  // wildcard "[*]", or a multi-select list.
  absl::StatusOr<NodeId> BracketNud(const Token& open) {
    const TokenType next = Current().type;
    if (next == TokenType::kNumber || next == TokenType::kColon) {
      ASSIGN_OR_RETURN(NodeId identity, Leaf(NodeKind::kIdentity, open));
      return IndexOrSlice(open, identity);
    }
    if (next == TokenType::kStar && Lookahead(1) == TokenType::kRbracket) {
      Advance();
      Advance();
      ASSIGN_OR_RETURN(NodeId identity, Leaf(NodeKind::kIdentity, open));
      ASSIGN_OR_RETURN(NodeId rhs,
                       ProjectionRhs(BindingPower(TokenType::kStar)));
      return Binary(NodeKind::kProjection, open, identity, rhs);
    }
    return MultiSelectList(open);
  }

  // index-expression -> expression bracket-specifier, where
  // bracket-specifier -> "[" number "]" / "[" slice "]" / "[" "*" "]"
  absl::StatusOr<NodeId> BracketLed(const Token& open, NodeId left) {
    const TokenType next = Current().type;
    if (next == TokenType::kNumber || next == TokenType::kColon) {
      return IndexOrSlice(open, left);
    }
    RETURN_IF_ERROR(
        Expect(TokenType::kStar, "(a number, ':' or '*') after '['"));
    RETURN_IF_ERROR(ExpectClosing(TokenType::kRbracket, open));
    ASSIGN_OR_RETURN(NodeId rhs, ProjectionRhs(BindingPower(TokenType::kStar)));
    return Binary(NodeKind::kProjection, open, left, rhs);
  }

  // "[" number "]" / "[" slice "]"; a slice starts a projection.
  absl::StatusOr<NodeId> IndexOrSlice(const Token& open, NodeId left) {
    if (Current().type == TokenType::kColon ||
        Lookahead(1) == TokenType::kColon) {
      return Slice(open, left);
    }
    Node node;
    node.kind = NodeKind::kIndex;
    node.column = Column(open);
    node.lhs = left;
    node.index = Advance().number;
    RETURN_IF_ERROR(ExpectClosing(TokenType::kRbracket, open));
    return Add(std::move(node));
  }

  // slice -> [number] ":" [number] [ ":" [number] ]
  absl::StatusOr<NodeId> Slice(const Token& open, NodeId left) {
    std::array<std::optional<int64_t>, 3> parts;
    size_t part = 0;
    while (Current().type != TokenType::kRbracket) {
      if (Current().type == TokenType::kColon) {
        if (++part == 3) {
          return SyntaxError(Current(), "a slice has at most two ':'");
        }
        Advance();
      } else if (Current().type == TokenType::kNumber &&
                 !parts[part].has_value()) {
        parts[part] = Advance().number;
      } else {
        return SyntaxError(
            Current(), absl::StrCat("expected a number, ':' or ']' in slice "
                                    "(opened by '[' at column ",
                                    Column(open), "), got ",
                                    TokenTypeName(Current().type)));
      }
    }
    Advance();
    Node node;
    node.kind = NodeKind::kSlice;
    node.column = Column(open);
    node.lhs = left;
    if (parts[0].has_value()) {
      node.slice_parts |= Node::kSliceStart;
      node.index = *parts[0];
    }
    if (parts[1].has_value()) {
      node.slice_parts |= Node::kSliceStop;
      node.stop = *parts[1];
    }
    if (parts[2].has_value()) {
      node.slice_parts |= Node::kSliceStep;
      node.step = *parts[2];
    }
    ASSIGN_OR_RETURN(NodeId slice, Add(std::move(node)));
    ASSIGN_OR_RETURN(NodeId rhs, ProjectionRhs(BindingPower(TokenType::kStar)));
    return Binary(NodeKind::kProjection, open, slice, rhs);
  }

  // multi-select-list -> "[" expression *("," expression) "]"
  absl::StatusOr<NodeId> MultiSelectList(const Token& open) {
    Node node;
    node.kind = NodeKind::kMultiSelectList;
    node.column = Column(open);
    while (true) {
      ASSIGN_OR_RETURN(NodeId item, Expression(0));
      node.args.push_back(item);
      if (Current().type == TokenType::kComma) {
        Advance();
        continue;
      }
      RETURN_IF_ERROR(ExpectClosing(TokenType::kRbracket, open));
      break;
    }
    return Add(std::move(node));
  }

  // multi-select-hash -> "{" keyval-expr *("," keyval-expr) "}"
  // keyval-expr -> identifier ":" expression
  absl::StatusOr<NodeId> MultiSelectHash(const Token& open) {
    Node node;
    node.kind = NodeKind::kMultiSelectHash;
    node.column = Column(open);
    // Nested expressions add names too, so the keys are appended to
    // ast_.names together at the end.
    std::vector<std::string> keys;
    while (true) {
      const TokenType key_type = Current().type;
      if (key_type != TokenType::kUnquotedIdentifier &&
          key_type != TokenType::kQuotedIdentifier) {
        return SyntaxError(
            Current(),
            absl::StrCat("expected a key (identifier) in '{' at "
                         "column ",
                         Column(open), ", got ", TokenTypeName(key_type)));
      }
      keys.push_back(std::move(Advance().text));
      RETURN_IF_ERROR(Expect(TokenType::kColon, "after a key"));
      ASSIGN_OR_RETURN(NodeId value, Expression(0));
      node.args.push_back(value);
      if (Current().type == TokenType::kComma) {
        Advance();
        continue;
      }
      RETURN_IF_ERROR(ExpectClosing(TokenType::kRbrace, open));
      break;
    }
    node.data = static_cast<int32_t>(ast_.names.size());
    for (std::string& key : keys) ast_.names.push_back(std::move(key));
    return Add(std::move(node));
  }

  // projection-rhs -> (nothing, before a token binding weaker than
  //                   kProjectionStop) / bracket-specifier / filter /
  //                   "." dot-rhs
  absl::StatusOr<NodeId> ProjectionRhs(int rbp) {
    const Token& next = Current();
    if (BindingPower(next.type) < kProjectionStop) {
      return Leaf(NodeKind::kIdentity, next);
    }
    switch (next.type) {
      case TokenType::kLbracket:
      case TokenType::kFilter:
        return Expression(rbp);
      case TokenType::kDot:
        Advance();
        return DotRhs(rbp);
      default:
        return SyntaxError(next,
                           absl::StrCat("unexpected ", TokenTypeName(next.type),
                                        " after a projection"));
    }
  }

  // dot-rhs -> identifier / "*" / multi-select-list / multi-select-hash /
  //            function-expression
  absl::StatusOr<NodeId> DotRhs(int rbp) {
    Token& next = Current();
    switch (next.type) {
      case TokenType::kUnquotedIdentifier:
      case TokenType::kQuotedIdentifier:
      case TokenType::kStar:
        return Expression(rbp);
      case TokenType::kLbracket:
        Advance();
        return MultiSelectList(next);
      case TokenType::kLbrace:
        Advance();
        return MultiSelectHash(next);
      default:
        return SyntaxError(
            next, absl::StrCat("expected an identifier, '*', '[' or '{' after "
                               "'.', got ",
                               TokenTypeName(next.type)));
    }
  }

  // '&expr' is only meaningful as a function argument (ResolveFunction checks
  // the function wants one there).
  absl::Status CheckExpressionReferences() const {
    std::vector<bool> allowed(ast_.nodes.size(), false);
    for (const Node& node : ast_.nodes) {
      if (node.kind != NodeKind::kFunctionCall) continue;
      for (NodeId arg : node.args) allowed[arg] = true;
    }
    for (size_t i = 0; i < ast_.nodes.size(); ++i) {
      const Node& node = ast_.nodes[i];
      if (node.kind == NodeKind::kExpressionRef && !allowed[i]) {
        return MakeError(ErrorKind::kSyntax, node.column,
                         "'&expression' is only allowed as a function "
                         "argument");
      }
    }
    return absl::OkStatus();
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int nesting_ = 0;
  Ast ast_;
};

}  // namespace

absl::StatusOr<Ast> Parse(absl::string_view expression) {
  if (expression.size() > kMaxExpressionLength) {
    return MakeError(ErrorKind::kLimitExceeded, 0,
                     "expression longer than kMaxExpressionLength");
  }
  ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(expression));
  return Parser(std::move(tokens)).Run();
}

}  // namespace vigil::jmespath::internal
