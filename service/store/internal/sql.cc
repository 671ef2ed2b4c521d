#include "service/store/internal/sql.h"

#include "absl/strings/str_cat.h"

namespace vigil::service::store::internal {
namespace {

template <typename T>
absl::StatusOr<T> Column(const std::vector<SqlValue>& row, size_t i,
                         absl::string_view want) {
  if (i >= row.size()) {
    return absl::InternalError(
        absl::StrCat("result has ", row.size(), " columns, wanted ", i + 1));
  }
  if (const T* v = std::get_if<T>(&row[i])) return *v;
  return absl::InternalError(
      absl::StrCat("result column ", i, " is not ", want,
                   " (a database this vigil-verifier did not create?)"));
}

}  // namespace

absl::StatusOr<int64_t> ColumnInt(const std::vector<SqlValue>& row, size_t i) {
  return Column<int64_t>(row, i, "an integer");
}

absl::StatusOr<std::string> ColumnText(const std::vector<SqlValue>& row,
                                       size_t i) {
  return Column<std::string>(row, i, "text");
}

absl::StatusOr<Bytes> ColumnBytes(const std::vector<SqlValue>& row, size_t i) {
  return Column<Bytes>(row, i, "bytes");
}

bool ColumnIsNull(const std::vector<SqlValue>& row, size_t i) {
  return i < row.size() && std::holds_alternative<std::monostate>(row[i]);
}

int64_t ToMicros(absl::Time t) { return absl::ToUnixMicros(t); }

absl::Time FromMicros(int64_t us) { return absl::FromUnixMicros(us); }

}  // namespace vigil::service::store::internal
