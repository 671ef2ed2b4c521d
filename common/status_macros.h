// File: common/status_macros.h
// -----------------------------------------------------------------------------
// RETURN_IF_ERROR and ASSIGN_OR_RETURN, shaped like cel-cpp's
// internal/status_macros.h. Debian 12's abseil (20220623) predates
// absl/status/status_macros.h, so Vigil keeps its own (style.md rule 2).
//
//   absl::StatusOr<EventLog> Load(absl::Span<const uint8_t> bytes) {
//     ASSIGN_OR_RETURN(EventLog log, Parse(bytes));
//     RETURN_IF_ERROR(Check(log));
//     return log;
//   }
//
// RETURN_IF_ERROR is a `do { } while (0)` statement rather than cel-cpp's
// `switch (0) case 0: default: if ... else` blocker: GCC 12 still reports
// -Wdangling-else through that blocker under an unbraced `if`, and Vigil does
// not need the `<<` message-appending form it exists for. Use
// internal::Annotate to add context instead.

#ifndef VIGIL_COMMON_STATUS_MACROS_H_
#define VIGIL_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace vigil::internal {

// Returns `status` with "`prefix`: " put in front of its message; the code is
// kept. Used to add one step of context per layer (style.md rule 2).
inline absl::Status Annotate(const absl::Status& status,
                             absl::string_view prefix) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(prefix, ": ", status.message()));
}

}  // namespace vigil::internal

#define VIGIL_STATUS_MACROS_CONCAT_INNER_(x, y) x##y
#define VIGIL_STATUS_MACROS_CONCAT_(x, y) VIGIL_STATUS_MACROS_CONCAT_INNER_(x, y)

// RETURN_IF_ERROR(expr): evaluates `expr` (an absl::Status) and returns it from
// the enclosing function when it is not OK.
#define RETURN_IF_ERROR(expr)                                \
  do {                                                       \
    ::absl::Status vigil_status_ = (expr);                   \
    if (!vigil_status_.ok()) return vigil_status_;           \
  } while (0)

// ASSIGN_OR_RETURN(lhs, rexpr): evaluates `rexpr` (an absl::StatusOr<T>); on
// error returns its status, otherwise moves the value into `lhs`, which may be
// a declaration (`auto x`, `const Foo& f` is not allowed) or an lvalue.
#define ASSIGN_OR_RETURN(lhs, rexpr)                                          \
  VIGIL_ASSIGN_OR_RETURN_IMPL_(                                               \
      VIGIL_STATUS_MACROS_CONCAT_(vigil_statusor_, __LINE__), lhs, rexpr)

#define VIGIL_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // VIGIL_COMMON_STATUS_MACROS_H_
