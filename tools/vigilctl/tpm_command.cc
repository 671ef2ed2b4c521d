#include "tools/vigilctl/tpm_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/encoding.h"
#include "tools/vigilctl/args.h"
#include "tools/vigilctl/eventlog_command.h"
#include "tools/vigilctl/output.h"
#include "tpm/device/attestation_key.h"
#include "tpm/device/credential.h"
#include "tpm/device/ek.h"
#include "tpm/device/esys_context.h"
#include "tpm/device/pcrs.h"
#include "tpm/device/tpm_info.h"

namespace vigil::vigilctl {
namespace {

using json = nlohmann::ordered_json;

constexpr char kUsage[] =
    "usage: vigilctl tpm info [--format json|yaml]\n"
    "       vigilctl tpm ek-cert [--kind rsa2048|ecc-p256|ecc-p384] [--out "
    "FILE] [--check-key]\n"
    "       vigilctl tpm ak create [--alg ecc-p256|rsa2048] [--handle H] "
    "[--replace]\n"
    "       vigilctl tpm ak show [--handle H] [--format json|yaml]\n"
    "       vigilctl tpm pcrs [--banks sha1,sha256] [--format json|yaml]\n"
    "       vigilctl tpm quote --nonce HEX --out DIR [--pcrs 0,1,7] [--banks "
    "sha256] [--handle H]\n"
    "       vigilctl tpm activate --in FILE [--handle H] [--ek "
    "rsa2048|ecc-p256|ecc-p384]\n"
    "every command takes --tcti device:/dev/tpmrm0 (default) | tabrmd | "
    "swtpm:path=SOCKET | swtpm:host=H,port=P\n";

int Fail(int code, const std::string& message) {
  std::cerr << "vigilctl tpm: " << message << "\n";
  return code;
}

int ExitCodeFor(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return kExitBadInput;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return kExitUnavailable;
    default:
      return kExitInternal;
  }
}

int FailStatus(const absl::Status& s) {
  return Fail(ExitCodeFor(s), std::string(s.message()));
}

absl::StatusOr<tpm::EsysContext> Open(const ParsedArgs& args) {
  absl::StatusOr<tpm::TctiConfig> config =
      tpm::TctiConfig::Parse(args.Value("tcti").value_or("device:/dev/tpmrm0"));
  if (!config.ok()) return config.status();
  return tpm::EsysContext::Open(*config);
}

absl::StatusOr<std::string> Format(const ParsedArgs& args) {
  std::string f = args.Value("format").value_or("yaml");
  if (f != "json" && f != "yaml") {
    return absl::InvalidArgumentError(
        absl::StrCat("--format: got \"", f, "\", want json or yaml"));
  }
  return f;
}

void Print(const json& value, const std::string& format) {
  std::cout << (format == "yaml" ? ToYaml(value) : ToJson(value));
}

absl::StatusOr<uint32_t> Handle(const ParsedArgs& args) {
  std::optional<std::string> h = args.Value("handle");
  if (!h.has_value()) return tpm::kDefaultAkHandle;
  uint32_t v = 0;
  absl::string_view text = *h;
  if (!absl::ConsumePrefix(&text, "0x") || !absl::SimpleHexAtoi(text, &v) ||
      (v >> 24) != 0x81) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--handle: got \"", *h, "\", want a persistent handle 0x81xxxxxx"));
  }
  return v;
}

absl::StatusOr<tpm::EkKind> EkKindFlag(const ParsedArgs& args,
                                       const std::string& flag) {
  std::string k = args.Value(flag).value_or("rsa2048");
  for (tpm::EkKind kind : {tpm::EkKind::kRsa2048, tpm::EkKind::kEccNistP256,
                           tpm::EkKind::kEccNistP384}) {
    if (k == tpm::EkKindName(kind)) return kind;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--", flag, ": got \"", k, "\", want rsa2048, ecc-p256 or ecc-p384"));
}

absl::StatusOr<std::vector<tpm::HashAlg>> Banks(const ParsedArgs& args) {
  std::vector<tpm::HashAlg> out;
  std::optional<std::string> v = args.Value("banks");
  if (!v.has_value()) return out;
  for (absl::string_view name : absl::StrSplit(*v, ',')) {
    std::optional<tpm::HashAlg> alg = tpm::HashAlgFromName(name);
    if (!alg.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--banks: unknown bank \"", name, "\""));
    }
    out.push_back(*alg);
  }
  return out;
}

absl::StatusOr<std::vector<uint32_t>> Pcrs(const ParsedArgs& args) {
  std::vector<uint32_t> out;
  std::optional<std::string> v = args.Value("pcrs");
  if (!v.has_value()) return out;
  for (absl::string_view p : absl::StrSplit(*v, ',')) {
    uint32_t i = 0;
    if (!absl::SimpleAtoi(p, &i) || i >= tpm::kNumPcrs) {
      return absl::InvalidArgumentError(
          absl::StrCat("--pcrs: got \"", p, "\", want 0-23"));
    }
    out.push_back(i);
  }
  return out;
}

absl::Status WriteBytes(const std::string& path,
                        const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out)
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot write"));
  return absl::OkStatus();
}

json PcrsJson(const std::vector<tpm::PcrBank>& banks) {
  json list = json::array();
  for (const tpm::PcrBank& b : banks) {
    json pcrs = json::object();
    for (const auto& [i, v] : b.values) pcrs[absl::StrCat(i)] = HexEncode(v);
    list.push_back(
        json{{"alg", std::string(tpm::HashAlgName(b.alg))}, {"pcrs", pcrs}});
  }
  return list;
}

json AkJson(const tpm::AttestationKey& ak) {
  return json{{"handle", absl::StrCat("0x", absl::Hex(ak.persistent_handle,
                                                      absl::kZeroPad8))},
              {"alg", std::string(tpm::AkAlgName(ak.alg))},
              {"name", HexEncode(ak.name)},
              {"public", HexEncode(ak.public_area)}};
}

std::string Pem(const std::vector<uint8_t>& der) {
  std::string b64 = Base64Encode(der);
  std::string out = "-----BEGIN CERTIFICATE-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  return out + "-----END CERTIFICATE-----\n";
}

int Info(const ParsedArgs& args) {
  absl::StatusOr<std::string> format = Format(args);
  if (!format.ok()) return FailStatus(format.status());
  absl::StatusOr<tpm::EsysContext> ctx = Open(args);
  if (!ctx.ok()) return FailStatus(ctx.status());
  absl::StatusOr<tpm::TpmInfo> info = tpm::ReadTpmInfo(*ctx);
  if (!info.ok()) return FailStatus(info.status());
  absl::StatusOr<tpm::TpmTime> clock = tpm::ReadClock(*ctx);
  if (!clock.ok()) return FailStatus(clock.status());
  json banks = json::array();
  for (tpm::HashAlg b : info->pcr_banks)
    banks.push_back(std::string(tpm::HashAlgName(b)));
  json j{{"tcti", ctx->config().ToString()},
         {"manufacturer", info->manufacturer},
         {"manufacturer_id", absl::StrCat("0x", absl::Hex(info->manufacturer_id,
                                                          absl::kZeroPad8))},
         {"vendor", info->vendor},
         {"firmware_version", info->firmware_version},
         {"family", info->family},
         {"spec_level", info->spec_level},
         {"spec_revision", info->spec_revision},
         {"spec_year", info->spec_year},
         {"software_tpm", info->is_software},
         {"pcr_banks", banks},
         {"clock", json{{"time_ms", clock->time_ms},
                        {"clock_ms", clock->clock_ms},
                        {"reset_count", clock->reset_count},
                        {"restart_count", clock->restart_count},
                        {"safe", clock->safe}}}};
  if (info->is_software) j["software_reason"] = info->software_reason;
  Print(j, *format);
  return kExitOk;
}

int EkCert(const ParsedArgs& args) {
  absl::StatusOr<tpm::EkKind> kind = EkKindFlag(args, "kind");
  if (!kind.ok()) return FailStatus(kind.status());
  absl::StatusOr<tpm::EsysContext> ctx = Open(args);
  if (!ctx.ok()) return FailStatus(ctx.status());
  absl::StatusOr<std::vector<uint8_t>> cert =
      tpm::ReadEkCertificate(*ctx, *kind);
  if (!cert.ok()) return FailStatus(cert.status());
  if (args.Has("check-key")) {
    absl::StatusOr<tpm::EndorsementKey> ek = tpm::CreateEk(*ctx, *kind);
    if (!ek.ok()) return FailStatus(ek.status());
    absl::Status s = tpm::CheckEkMatchesCertificate(ek->public_area, *cert);
    if (!s.ok()) return FailStatus(s);
    std::cerr << "vigilctl tpm: the " << tpm::EkKindName(*kind)
              << " EK's public key matches the certificate\n";
  }
  if (std::optional<std::string> out = args.Value("out")) {
    absl::Status s = WriteBytes(*out, *cert);
    if (!s.ok()) return FailStatus(s);
  } else {
    std::cout << Pem(*cert);
  }
  return kExitOk;
}

int Ak(const ParsedArgs& args) {
  if (args.positional.size() != 1 ||
      (args.positional[0] != "create" && args.positional[0] != "show")) {
    std::cerr << kUsage;
    return Fail(kExitBadInput, "ak: want `ak create` or `ak show`");
  }
  absl::StatusOr<std::string> format = Format(args);
  if (!format.ok()) return FailStatus(format.status());
  absl::StatusOr<uint32_t> handle = Handle(args);
  if (!handle.ok()) return FailStatus(handle.status());
  tpm::AkAlg alg = tpm::AkAlg::kEccNistP256;
  if (std::optional<std::string> a = args.Value("alg")) {
    if (*a == "rsa2048") {
      alg = tpm::AkAlg::kRsa2048;
    } else if (*a != "ecc-p256") {
      return Fail(kExitBadInput, absl::StrCat("--alg: got \"", *a,
                                              "\", want ecc-p256 or rsa2048"));
    }
  }
  absl::StatusOr<tpm::EkKind> ek_kind = EkKindFlag(args, "ek");
  if (!ek_kind.ok()) return FailStatus(ek_kind.status());
  absl::StatusOr<tpm::EsysContext> ctx = Open(args);
  if (!ctx.ok()) return FailStatus(ctx.status());
  absl::StatusOr<tpm::AttestationKey> ak;
  if (args.positional[0] == "create") {
    absl::StatusOr<tpm::EndorsementKey> ek = tpm::CreateEk(*ctx, *ek_kind);
    if (!ek.ok()) return FailStatus(ek.status());
    ak = tpm::CreateAk(*ctx, *ek,
                       tpm::AkOptions{.alg = alg,
                                      .persistent_handle = *handle,
                                      .replace = args.Has("replace")});
  } else {
    ak = tpm::LoadAk(*ctx, *handle);
  }
  if (!ak.ok()) return FailStatus(ak.status());
  Print(AkJson(*ak), *format);
  return kExitOk;
}

int PcrsCommand(const ParsedArgs& args) {
  absl::StatusOr<std::string> format = Format(args);
  if (!format.ok()) return FailStatus(format.status());
  absl::StatusOr<std::vector<tpm::HashAlg>> banks = Banks(args);
  if (!banks.ok()) return FailStatus(banks.status());
  absl::StatusOr<tpm::EsysContext> ctx = Open(args);
  if (!ctx.ok()) return FailStatus(ctx.status());
  absl::StatusOr<tpm::PcrReadResult> r = tpm::ReadPcrs(*ctx, *banks);
  if (!r.ok()) return FailStatus(r.status());
  Print(PcrsJson(r->banks), *format);
  return kExitOk;
}

int QuoteCommand(const ParsedArgs& args) {
  std::optional<std::string> nonce_hex = args.Value("nonce");
  std::optional<std::string> out = args.Value("out");
  if (!nonce_hex.has_value() || !out.has_value()) {
    return Fail(kExitBadInput, "quote: --nonce HEX and --out DIR are required");
  }
  absl::StatusOr<std::vector<uint8_t>> nonce = HexDecode(*nonce_hex);
  if (!nonce.ok())
    return Fail(kExitBadInput,
                absl::StrCat("--nonce: ", nonce.status().message()));
  absl::StatusOr<uint32_t> handle = Handle(args);
  if (!handle.ok()) return FailStatus(handle.status());
  absl::StatusOr<std::vector<tpm::HashAlg>> banks = Banks(args);
  if (!banks.ok()) return FailStatus(banks.status());
  absl::StatusOr<std::vector<uint32_t>> pcrs = Pcrs(args);
  if (!pcrs.ok()) return FailStatus(pcrs.status());
  std::error_code ec;
  std::filesystem::create_directories(*out, ec);
  if (ec) return Fail(kExitBadInput, absl::StrCat(*out, ": ", ec.message()));
  absl::StatusOr<tpm::EsysContext> ctx = Open(args);
  if (!ctx.ok()) return FailStatus(ctx.status());
  absl::StatusOr<tpm::AttestationKey> ak = tpm::LoadAk(*ctx, *handle);
  if (!ak.ok()) return FailStatus(ak.status());
  absl::StatusOr<tpm::QuoteResult> q = tpm::Quote(
      *ctx, *ak, *nonce, tpm::QuoteOptions{.pcrs = *pcrs, .banks = *banks});
  if (!q.ok()) return FailStatus(q.status());
  const std::string pcrs_json = ToJson(PcrsJson(q->pcrs));
  for (absl::Status s :
       {WriteBytes(*out + "/attest", q->attest),
        WriteBytes(*out + "/signature", q->signature),
        WriteBytes(*out + "/ak.pub", ak->public_area),
        WriteBytes(*out + "/pcrs.json",
                   std::vector<uint8_t>(pcrs_json.begin(), pcrs_json.end()))}) {
    if (!s.ok()) return FailStatus(s);
  }
  Print(json{{"out", *out},
             {"files", json{{"attest", "TPMS_ATTEST"},
                            {"signature", "TPMT_SIGNATURE (tss)"},
                            {"ak.pub", "TPM2B_PUBLIC"},
                            {"pcrs.json", "quoted PCR values"}}},
             {"ak", AkJson(*ak)}},
        "json");
  return kExitOk;
}

int Activate(const ParsedArgs& args) {
  std::optional<std::string> in = args.Value("in");
  if (!in.has_value())
    return Fail(kExitBadInput, "activate: --in FILE is required");
  std::ifstream f(*in, std::ios::binary);
  if (!f) return Fail(kExitBadInput, absl::StrCat(*in, ": cannot open"));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)),
                             std::istreambuf_iterator<char>());
  absl::StatusOr<tpm::CredentialBlob> blob =
      tpm::ParseTpm2ToolsCredential(bytes);
  if (!blob.ok())
    return Fail(kExitBadInput,
                absl::StrCat(*in, ": ", blob.status().message()));
  absl::StatusOr<uint32_t> handle = Handle(args);
  if (!handle.ok()) return FailStatus(handle.status());
  absl::StatusOr<tpm::EkKind> ek_kind = EkKindFlag(args, "ek");
  if (!ek_kind.ok()) return FailStatus(ek_kind.status());
  absl::StatusOr<tpm::EsysContext> ctx = Open(args);
  if (!ctx.ok()) return FailStatus(ctx.status());
  absl::StatusOr<tpm::AttestationKey> ak = tpm::LoadAk(*ctx, *handle);
  if (!ak.ok()) return FailStatus(ak.status());
  absl::StatusOr<tpm::EndorsementKey> ek = tpm::CreateEk(*ctx, *ek_kind);
  if (!ek.ok()) return FailStatus(ek.status());
  absl::StatusOr<std::vector<uint8_t>> secret =
      tpm::ActivateCredential(*ctx, *ek, *ak, *blob);
  if (!secret.ok()) return FailStatus(secret.status());
  std::cout << HexEncode(*secret) << "\n";
  return kExitOk;
}

}  // namespace

int RunTpmCommand(const std::vector<std::string>& args) {
  // Every subcommand also takes --tcti.
  static const Subcommand kSubcommands[] = {
      {"info", {"format", "tcti"}, {}, Info, false},
      {"ek-cert", {"kind", "out", "tcti"}, {"check-key"}, EkCert, false},
      {"ak", {"alg", "handle", "ek", "format", "tcti"}, {"replace"}, Ak, true},
      {"pcrs", {"banks", "format", "tcti"}, {}, PcrsCommand, false},
      {"quote",
       {"nonce", "out", "pcrs", "banks", "handle", "tcti"},
       {},
       QuoteCommand,
       false},
      {"activate", {"in", "handle", "ek", "tcti"}, {}, Activate, false},
  };
  return RunSubcommand("tpm", kUsage, kSubcommands, args);
}

}  // namespace vigil::vigilctl
