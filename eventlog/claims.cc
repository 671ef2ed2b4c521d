#include "eventlog/claims.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "eventlog/extract/uefi/secure_boot.h"
#include "eventlog/extract/windows/windows_claims.h"

namespace vigil::eventlog {

DerivedClaims DeriveClaims(const ReplayedLog& log) {
  DerivedClaims out;
  DeriveUefiClaims(log, &out);
  DeriveWindowsClaims(log, &out);
  if (!log.quirks().empty()) {
    std::vector<std::string> names;
    for (const AppliedQuirk& q : log.quirks()) {
      names.push_back(absl::StrCat(q.id, "@pcr", q.pcr, "/", tpm::HashAlgName(q.alg)));
    }
    out.Set("vigilReplayQuirks", absl::StrJoin(names, ","));
  }
  return out;
}

nlohmann::ordered_json ClaimsToJson(const DerivedClaims& claims) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [name, value] : claims.claims) {
    std::visit([&, n = name](const auto& v) { out[n] = v; }, value);
  }
  return out;
}

}  // namespace vigil::eventlog
