// File: eventlog/claims.h
// -----------------------------------------------------------------------------
// DeriveClaims: the Azure Attestation TPM claim set (maa-spec §3.1, §2.3;
// landscape.md §9) derived from a ReplayedLog: secureBootEnabled from PCR7
// (eventlog/extract/uefi/secure_boot.h), the Windows SIPA claims from PCRs
// 12/13/19/20 (eventlog/extract/windows/windows_claims.h), and, when replay
// needed a firmware quirk, `vigilReplayQuirks` naming it so policy can see it
// (style.md rule 9).
//
// Trust: facts come only from trusted events of a ReplayedLog; a claim whose
// PCRs are not clean is absent and listed as underivable, never true.

#ifndef VIGIL_EVENTLOG_CLAIMS_H_
#define VIGIL_EVENTLOG_CLAIMS_H_

#include "eventlog/claim_set.h"
#include "eventlog/replayed_log.h"
#include "nlohmann/json.hpp"

namespace vigil::eventlog {

// Never fails; see DerivedClaims::underivable for what could not be derived.
DerivedClaims DeriveClaims(const ReplayedLog& log);

// {"name": value, ...} in derivation order (bool, integer or string values).
nlohmann::ordered_json ClaimsToJson(const DerivedClaims& claims);

}  // namespace vigil::eventlog

#endif  // VIGIL_EVENTLOG_CLAIMS_H_
