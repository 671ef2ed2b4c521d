// File: policy/jmespath/limits.h
// -----------------------------------------------------------------------------
// The limits that keep hostile expressions and documents from overflowing the
// stack or running unbounded. Exceeding any of them is an error of kind
// ErrorKind::kLimitExceeded (absl code kResourceExhausted).

#ifndef VIGIL_POLICY_JMESPATH_LIMITS_H_
#define VIGIL_POLICY_JMESPATH_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace vigil::jmespath {

// Longest expression Compile() accepts, in bytes.
inline constexpr size_t kMaxExpressionLength = 1 << 20;

// Deepest expression: bounds both the parser's recursion and the depth of the
// syntax tree, hence the interpreter's recursion. The deepest compliance
// benchmark (104 chained projections) needs about 105.
inline constexpr int kMaxNestingDepth = 256;

// Deepest JSON value (arrays/objects nested in each other) that is parsed,
// copied, compared or serialised. Values are walked recursively, so this
// bounds that recursion.
inline constexpr int kMaxValueDepth = 512;

// Default evaluation budget: roughly one unit per node visited, per array
// element produced and per JSON node copied. Stops expressions whose output
// grows exponentially (e.g. `[@,@] | [@,@] | ...` materialised).
inline constexpr int64_t kDefaultMaxEvaluationCost = 50'000'000;

}  // namespace vigil::jmespath

#endif  // VIGIL_POLICY_JMESPATH_LIMITS_H_
