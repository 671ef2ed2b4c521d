#include "eventlog/workarounds.h"

#include <array>

#include "common/encoding.h"

namespace vigil::eventlog {

absl::Span<const Quirk> KnownQuirks() {
  // Some firmware measures the ExitBootServices() EV_EFI_ACTION events into
  // PCR5 (PFP §3.3.4.5) without logging them (go-attestation
  // eventlog_workarounds.go, "EBS Invocation + Success/Failure").
  static const auto* quirks = new std::vector<Quirk>{
      {"ebs-invocation-success-unlogged", 5,
       "firmware measured ExitBootServices invocation and success into PCR5 "
       "without logging them",
       {"Exit Boot Services Invocation",
        "Exit Boot Services Returned with Success"}},
      {"ebs-invocation-failure-unlogged", 5,
       "firmware measured ExitBootServices invocation and failure into PCR5 "
       "without logging them",
       {"Exit Boot Services Invocation",
        "Exit Boot Services Returned with Failure"}},
  };
  return *quirks;
}

absl::Status ApplyQuirk(const Quirk& quirk, tpm::HashAlg alg,
                        tpm::Digest* pcr) {
  std::array<uint8_t, tpm::kMaxDigestSize> digest;
  for (absl::string_view action : quirk.unlogged_actions) {
    absl::Status s = tpm::HashParts(alg, {AsBytes(action)}, digest.data());
    if (!s.ok()) return s;
    s = tpm::Extend(alg, pcr,
                    absl::MakeConstSpan(digest.data(), tpm::DigestSize(alg)));
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace vigil::eventlog
