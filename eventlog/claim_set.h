// File: eventlog/claim_set.h
// -----------------------------------------------------------------------------
// DerivedClaims: the Azure Attestation claims (maa-spec §3.1, §2.3) derived
// from a ReplayedLog, plus the claims that could not be derived and why.
// A claim is underivable when the PCRs it depends on are not verified or hold
// an event that breaks a trust rule (landscape.md §10): it is then absent from
// `claims` (never silently true) and listed in `underivable`.

#ifndef VIGIL_EVENTLOG_CLAIM_SET_H_
#define VIGIL_EVENTLOG_CLAIM_SET_H_

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace vigil::eventlog {

using ClaimValue = std::variant<bool, int64_t, std::string>;

struct UnderivableClaim {
  std::string name;
  std::string reason;  // one line: "pcr 7: not verified against trusted PCR values"
};

struct DerivedClaims {
  // In derivation order; each name at most once.
  std::vector<std::pair<std::string, ClaimValue>> claims;
  std::vector<UnderivableClaim> underivable;

  void Set(std::string name, ClaimValue value) {
    for (auto& [n, v] : claims) {
      if (n == name) {
        v = std::move(value);
        return;
      }
    }
    claims.emplace_back(std::move(name), std::move(value));
  }
  void Underivable(std::string name, std::string reason) {
    underivable.push_back({std::move(name), std::move(reason)});
  }
  // The underivable claims grouped by reason, in first-seen order, so one
  // cause (an unverified PCR) is reported once with every claim it blocks.
  std::vector<std::pair<std::string, std::vector<std::string>>>
  UnderivableByReason() const {
    std::vector<std::pair<std::string, std::vector<std::string>>> groups;
    for (const UnderivableClaim& u : underivable) {
      auto it = groups.begin();
      while (it != groups.end() && it->first != u.reason) ++it;
      if (it == groups.end()) {
        groups.push_back({u.reason, {}});
        it = groups.end() - 1;
      }
      it->second.push_back(u.name);
    }
    return groups;
  }
  const ClaimValue* Find(const std::string& name) const {
    for (const auto& [n, v] : claims) {
      if (n == name) return &v;
    }
    return nullptr;
  }
};

}  // namespace vigil::eventlog

#endif  // VIGIL_EVENTLOG_CLAIM_SET_H_
