// File: tpm/device/esys_context.h
// -----------------------------------------------------------------------------
// TctiConfig (which TPM to talk to) and EsysContext (an open ESYS_CONTEXT plus
// the TCTI it owns).
//
//   ASSIGN_OR_RETURN(TctiConfig cfg, TctiConfig::Parse("swtpm:path=/t/tpm.sock"));
//   ASSIGN_OR_RETURN(EsysContext ctx, EsysContext::Open(cfg));
//
// Thread safety: an EsysContext belongs to one owner. tpm2-tss does not state
// that ESYS is thread-safe, and a command/response pair is a sequence of
// calls on shared TCTI state; share a context only behind a mutex
// (style.md rule 16; rust-tss-esapi takes &mut self for the same reason).
//
// Failure: when a call fails with kUnavailable because the connection to the
// TPM broke mid-command (TCTI I/O error), ESYS is left mid-sequence and
// answers later calls with TSS2_ESYS_RC_BAD_SEQUENCE (kInternal). Discard the
// context (and its handles) and Open() a new one to retry.

#ifndef VIGIL_TPM_DEVICE_ESYS_CONTEXT_H_
#define VIGIL_TPM_DEVICE_ESYS_CONTEXT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tss2/tss2_esys.h"
#include "tss2/tss2_tcti.h"

namespace vigil::tpm {

// Where the TPM is. Text forms (the first is the default):
//   "device:/dev/tpmrm0"       kernel resource manager (any device path)
//   "tabrmd" / "tabrmd:<conf>" tpm2-abrmd over D-Bus
//   "swtpm:path=<socket>"      swtpm on a Unix socket (control socket is
//                              "<socket>.ctrl"; toolchain.md §3)
//   "swtpm:host=<h>,port=<p>"  swtpm over TCP (control channel on p+1)
struct TctiConfig {
  enum class Kind { kDevice, kTabrmd, kSwtpm };
  Kind kind = Kind::kDevice;
  std::string loader_name = "device";      // Tss2_TctiLdr name
  std::string loader_conf = "/dev/tpmrm0";  // its configuration string

  // Parses the text forms above. Fails with kInvalidArgument naming the
  // problem (unknown TCTI, empty path, bad swtpm key, port out of range).
  static absl::StatusOr<TctiConfig> Parse(absl::string_view text);
  // The default: "device:/dev/tpmrm0".
  static TctiConfig Default() { return TctiConfig(); }
  // "name:conf", the form Tss2_TctiLdr_Initialize accepts.
  std::string ToString() const;
};

class EsysContext {
 public:
  // Open(config): loads the TCTI and initializes ESYS.
  // Fails with kUnavailable when the TPM, daemon or socket cannot be reached
  // (tss_status.h), kInvalidArgument if the TCTI library rejects the config.
  // Does not send TPM2_Startup: a platform TPM was started by firmware, and
  // the swtpm harness starts its TPMs itself (possibly at locality 3).
  static absl::StatusOr<EsysContext> Open(const TctiConfig& config);

  EsysContext(EsysContext&& other) noexcept;
  EsysContext& operator=(EsysContext&& other) noexcept;
  EsysContext(const EsysContext&) = delete;
  EsysContext& operator=(const EsysContext&) = delete;
  // Esys_Finalize, then Tss2_TctiLdr_Finalize. Handles (handles.h) must be
  // destroyed before their context.
  ~EsysContext();

  ESYS_CONTEXT* get() const { return esys_; }
  const TctiConfig& config() const { return config_; }

  // Sets the locality of the following commands (TPM 2.0 Part 1 §34; the
  // swtpm TCTI sends CMD_SET_LOCALITY on the control channel). Fails with
  // kUnimplemented when the TCTI cannot set a locality (device, tabrmd
  // without support).
  absl::Status SetLocality(uint8_t locality);

  // TPM2_Startup(CLEAR) (Part 3 §9.3). Only for TPMs nobody started yet
  // (swtpm launched without "startup-clear"). PCR0 starts at 00..0L where L is
  // the locality the command arrives at (0 or 3; PC Client PTP §4.6.1 and
  // Part 1 §34.3). Fails with kInternal (TPM_RC_INITIALIZE) if already started.
  absl::Status StartupClear();

 private:
  EsysContext(TctiConfig config, TSS2_TCTI_CONTEXT* tcti, ESYS_CONTEXT* esys)
      : config_(std::move(config)), tcti_(tcti), esys_(esys) {}
  void Reset();

  TctiConfig config_;
  TSS2_TCTI_CONTEXT* tcti_ = nullptr;
  ESYS_CONTEXT* esys_ = nullptr;
};

}  // namespace vigil::tpm

#endif  // VIGIL_TPM_DEVICE_ESYS_CONTEXT_H_
