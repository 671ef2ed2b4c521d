#include "tpm/device/esys_context.h"

#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tpm/device/tss_status.h"
#include "tss2/tss2_tctildr.h"

namespace vigil::tpm {
namespace {

absl::Status CheckSwtpmConf(absl::string_view conf) {
  if (conf.empty()) {
    return absl::InvalidArgumentError(
        "tcti swtpm: want \"swtpm:path=<socket>\" or \"swtpm:host=<h>,port=<p>\"");
  }
  bool has_path = false, has_host_or_port = false;
  for (absl::string_view kv : absl::StrSplit(conf, ',')) {
    std::pair<absl::string_view, absl::string_view> p =
        absl::StrSplit(kv, absl::MaxSplits('=', 1));
    if (p.second.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tcti swtpm: \"", kv, "\" has no value"));
    }
    if (p.first == "path") {
      has_path = true;
    } else if (p.first == "host") {
      has_host_or_port = true;
    } else if (p.first == "port") {
      has_host_or_port = true;
      uint32_t port = 0;
      if (!absl::SimpleAtoi(p.second, &port) || port == 0 || port > 65534) {
        return absl::InvalidArgumentError(absl::StrCat(
            "tcti swtpm: port: got \"", p.second, "\", want 1-65534"));
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "tcti swtpm: unknown key \"", p.first, "\", want path, host or port"));
    }
  }
  if (has_path && has_host_or_port) {
    return absl::InvalidArgumentError(
        "tcti swtpm: path= cannot be combined with host= or port=");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TctiConfig> TctiConfig::Parse(absl::string_view text) {
  std::pair<absl::string_view, absl::string_view> p =
      absl::StrSplit(text, absl::MaxSplits(':', 1));
  TctiConfig c;
  if (p.first == "device") {
    c.kind = Kind::kDevice;
    c.loader_name = "device";
    c.loader_conf = p.second.empty() ? "/dev/tpmrm0" : std::string(p.second);
  } else if (p.first == "tabrmd") {
    c.kind = Kind::kTabrmd;
    c.loader_name = "tabrmd";
    c.loader_conf = std::string(p.second);
  } else if (p.first == "swtpm") {
    if (absl::Status s = CheckSwtpmConf(p.second); !s.ok()) return s;
    c.kind = Kind::kSwtpm;
    c.loader_name = "swtpm";
    c.loader_conf = std::string(p.second);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "tcti: got \"", text,
        "\", want device:<path>, tabrmd[:<conf>], swtpm:path=<socket> or "
        "swtpm:host=<h>,port=<p>"));
  }
  return c;
}

std::string TctiConfig::ToString() const {
  if (loader_conf.empty()) return loader_name;
  return absl::StrCat(loader_name, ":", loader_conf);
}

absl::StatusOr<EsysContext> EsysContext::Open(const TctiConfig& config) {
  TSS2_TCTI_CONTEXT* tcti = nullptr;
  std::string name_conf = config.ToString();
  TSS2_RC rc = Tss2_TctiLdr_Initialize(name_conf.c_str(), &tcti);
  if (rc != TSS2_RC_SUCCESS) {
    absl::Status s = TssStatus("Tss2_TctiLdr_Initialize", rc);
    // tctildr reports every failure to open the TCTI (absent socket, daemon
    // down, no device) as a generic TCTI-layer error: retryable.
    return absl::Status(absl::StatusCode::kUnavailable,
                        absl::StrCat("open tcti \"", name_conf, "\": ",
                                     s.message()));
  }
  ESYS_CONTEXT* esys = nullptr;
  rc = Esys_Initialize(&esys, tcti, nullptr);
  if (rc != TSS2_RC_SUCCESS) {
    Tss2_TctiLdr_Finalize(&tcti);
    return TssStatus("Esys_Initialize", rc);
  }
  return EsysContext(config, tcti, esys);
}

EsysContext::EsysContext(EsysContext&& other) noexcept
    : config_(std::move(other.config_)),
      tcti_(std::exchange(other.tcti_, nullptr)),
      esys_(std::exchange(other.esys_, nullptr)) {}

EsysContext& EsysContext::operator=(EsysContext&& other) noexcept {
  if (this != &other) {
    Reset();
    config_ = std::move(other.config_);
    tcti_ = std::exchange(other.tcti_, nullptr);
    esys_ = std::exchange(other.esys_, nullptr);
  }
  return *this;
}

EsysContext::~EsysContext() { Reset(); }

void EsysContext::Reset() {
  if (esys_ != nullptr) Esys_Finalize(&esys_);
  if (tcti_ != nullptr) Tss2_TctiLdr_Finalize(&tcti_);
  esys_ = nullptr;
  tcti_ = nullptr;
}

absl::Status EsysContext::SetLocality(uint8_t locality) {
  TSS2_RC rc = Tss2_Tcti_SetLocality(tcti_, locality);
  if ((rc & 0xFFFF) == TSS2_BASE_RC_NOT_IMPLEMENTED) {
    return absl::UnimplementedError(absl::StrCat(
        "tcti \"", config_.loader_name, "\" cannot set the locality"));
  }
  return TssStatus("Tss2_Tcti_SetLocality", rc);
}

absl::Status EsysContext::StartupClear() {
  return TssStatus("Esys_Startup", Esys_Startup(esys_, TPM2_SU_CLEAR));
}

}  // namespace vigil::tpm
