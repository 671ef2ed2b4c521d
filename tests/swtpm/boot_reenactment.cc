#include "tests/swtpm/boot_reenactment.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "eventlog/event_types.h"
#include "tests/swtpm/subprocess.h"
#include "tpm/device/pcrs.h"
#include "tpm/device/tpm_info.h"

namespace vigil::testing {
namespace {

bool Extended(const eventlog::EventLog& log, const eventlog::RawEvent& ev) {
  if (log.format == eventlog::LogFormat::kCryptoAgile && ev.index == 0) return false;
  return ev.untrusted_type != eventlog::EV_NO_ACTION && ev.pcr_index < tpm::kNumPcrs;
}

const eventlog::RawEvent* FindHcrtmEvent(const eventlog::EventLog& log) {
  for (const eventlog::RawEvent& ev : log.events) {
    if (ev.pcr_index == 0 && ev.untrusted_type == eventlog::EV_EFI_HCRTM_EVENT) {
      return &ev;
    }
  }
  return nullptr;
}

// Runs the H-CRTM sequence with `ev`'s data, after checking the TPM's own
// hashing will reproduce the recorded digests.
absl::Status RunHcrtm(const SwtpmInstance& swtpm, const eventlog::RawEvent& ev,
                      const std::vector<tpm::HashAlg>& banks) {
  for (tpm::HashAlg alg : banks) {
    std::optional<absl::Span<const uint8_t>> d = ev.DigestFor(alg);
    ASSIGN_OR_RETURN(tpm::Digest h, tpm::Hash(alg, ev.data));
    if (!d.has_value() ||
        !std::equal(d->begin(), d->end(), h.begin(), h.end())) {
      return absl::FailedPreconditionError(absl::StrCat(
          "re-enact: H-CRTM event ", ev.index, ": its ", tpm::HashAlgName(alg),
          " digest is not the hash of its event data, and PCR0 of an H-CRTM "
          "boot can only be set by _TPM_Hash_Start/Data/End over the measured "
          "data itself (TPM 2.0 Part 1 §34.3), which the log does not contain"));
    }
  }
  ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create("vigil-hcrtm"));
  RETURN_IF_ERROR(WriteFile(tmp.Join("data"),
                            std::string(ev.data.begin(), ev.data.end())));
  ASSIGN_OR_RETURN(CommandResult r,
                   RunCommand({"swtpm_ioctl", "--unix", swtpm.ctrl_path(), "-h", "-"},
                              absl::Seconds(30), tmp.Join("data")));
  if (r.exit_code != 0) {
    return absl::InternalError(absl::StrCat("swtpm_ioctl -h: ", r.output));
  }
  return absl::OkStatus();
}

uint8_t ExtendLocality(uint32_t pcr) { return (pcr >= 17 && pcr <= 22) ? 2 : 0; }

}  // namespace

std::vector<tpm::HashAlg> ReenactableBanks(const eventlog::EventLog& log) {
  std::vector<tpm::HashAlg> out;
  for (tpm::HashAlg alg : log.algorithms) {
    if (alg == tpm::HashAlg::kSm3_256) continue;
    if (std::find(out.begin(), out.end(), alg) == out.end()) out.push_back(alg);
  }
  return out;
}

absl::StatusOr<ReenactReport> ReenactBootLog(const SwtpmInstance& swtpm,
                                             const eventlog::EventLog& log) {
  ReenactReport report;
  const eventlog::RawEvent* hcrtm_event = FindHcrtmEvent(log);
  const uint8_t locality = log.startup_locality.value_or(0);
  report.hcrtm = hcrtm_event != nullptr || locality == 4;
  if (report.hcrtm && hcrtm_event == nullptr) {
    return absl::FailedPreconditionError(
        "re-enact: StartupLocality 4 (H-CRTM) without an EV_EFI_HCRTM_EVENT: "
        "the data hashed into PCR0 is unknown");
  }
  if (!report.hcrtm && locality != 0 && locality != 3) {
    return absl::FailedPreconditionError(absl::StrCat(
        "re-enact: StartupLocality ", locality,
        ": a TPM accepts TPM2_Startup only at locality 0 or 3 (libtpms "
        "answers TPM_RC_LOCALITY), so PCR0 cannot start at 00..0",
        locality));
  }

  // The H-CRTM check needs the banks before TPM2_Startup, when the TPM
  // refuses TPM2_GetCapability (TPM_RC_INITIALIZE), so they come from the
  // options swtpm was provisioned with; they are checked after startup.
  for (tpm::HashAlg alg : ReenactableBanks(log)) {
    const auto& allocated = swtpm.options().pcr_banks;
    if (std::find(allocated.begin(), allocated.end(), alg) != allocated.end()) {
      report.banks.push_back(alg);
    } else {
      report.missing_banks.push_back(alg);
    }
  }
  if (report.hcrtm) RETURN_IF_ERROR(RunHcrtm(swtpm, *hcrtm_event, report.banks));

  ASSIGN_OR_RETURN(tpm::EsysContext ctx, tpm::EsysContext::Open(swtpm.tcti_config()));
  report.startup_locality = report.hcrtm ? 0 : locality;
  RETURN_IF_ERROR(ctx.SetLocality(report.startup_locality));
  RETURN_IF_ERROR(vigil::internal::Annotate(ctx.StartupClear(), "re-enact: startup"));
  RETURN_IF_ERROR(ctx.SetLocality(0));
  ASSIGN_OR_RETURN(std::vector<tpm::HashAlg> allocated, tpm::AllocatedPcrBanks(ctx));
  for (tpm::HashAlg alg : report.banks) {
    if (std::find(allocated.begin(), allocated.end(), alg) == allocated.end()) {
      return absl::InternalError(absl::StrCat("re-enact: bank ", tpm::HashAlgName(alg),
                                              " was provisioned but is not allocated"));
    }
  }

  uint8_t current_locality = 0;
  for (const eventlog::RawEvent& ev : log.events) {
    if (!Extended(log, ev) || &ev == hcrtm_event) continue;
    std::vector<std::pair<tpm::HashAlg, tpm::Digest>> digests;
    for (tpm::HashAlg alg : report.banks) {
      std::optional<absl::Span<const uint8_t>> d = ev.DigestFor(alg);
      // An event without this bank's digest measured nothing into it
      // (eventlog/parser.h: some Windows events are SHA-256 only).
      if (d.has_value()) digests.emplace_back(alg, tpm::Digest(d->begin(), d->end()));
    }
    if (digests.empty()) continue;
    const uint8_t want = ExtendLocality(ev.pcr_index);
    if (want != current_locality) {
      RETURN_IF_ERROR(ctx.SetLocality(want));
      current_locality = want;
    }
    RETURN_IF_ERROR(vigil::internal::Annotate(
        tpm::ExtendPcr(ctx, ev.pcr_index, digests),
        absl::StrCat("re-enact: event ", ev.index, " (pcr ", ev.pcr_index, ")")));
    ++report.events_extended;
  }
  if (current_locality != 0) RETURN_IF_ERROR(ctx.SetLocality(0));
  return report;
}

absl::StatusOr<std::unique_ptr<SwtpmInstance>> StartSwtpmWithBootLog(
    const eventlog::EventLog& log, SwtpmOptions options, ReenactReport* report) {
  options.pcr_banks = ReenactableBanks(log);
  if (options.pcr_banks.empty()) {
    return absl::FailedPreconditionError("re-enact: the log has no bank swtpm supports");
  }
  options.startup_clear = false;
  ASSIGN_OR_RETURN(std::unique_ptr<SwtpmInstance> swtpm, SwtpmInstance::Start(options));
  ASSIGN_OR_RETURN(ReenactReport r, ReenactBootLog(*swtpm, log));
  if (report != nullptr) *report = std::move(r);
  return swtpm;
}

}  // namespace vigil::testing
