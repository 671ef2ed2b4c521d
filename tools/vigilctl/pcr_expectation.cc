#include "tools/vigilctl/pcr_expectation.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "tools/vigilctl/json_util.h"

namespace vigil::vigilctl {
namespace {

absl::StatusOr<tpm::PcrBank> ParseEntry(const nlohmann::ordered_json& e,
                                        size_t n) {
  const std::string where = absl::StrCat("entry ", n, ": ");
  if (!e.is_object()) {
    return absl::InvalidArgumentError(where + "not a JSON object");
  }
  auto alg_it = e.find("alg");
  if (alg_it == e.end() || !alg_it->is_string()) {
    return absl::InvalidArgumentError(where + "alg: missing or not a string");
  }
  std::optional<tpm::HashAlg> alg =
      tpm::HashAlgFromName(alg_it->get_ref<const std::string&>());
  if (!alg) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, "alg: unknown algorithm \"", alg_it->get_ref<const std::string&>(),
        "\""));
  }
  auto pcrs_it = e.find("pcrs");
  if (pcrs_it == e.end() || !pcrs_it->is_object()) {
    return absl::InvalidArgumentError(where + "pcrs: missing or not an object");
  }
  tpm::PcrBank bank;
  bank.alg = *alg;
  for (auto it = pcrs_it->begin(); it != pcrs_it->end(); ++it) {
    uint32_t index;
    if (!absl::SimpleAtoi(it.key(), &index) || index >= tpm::kNumPcrs) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "pcrs: key \"", it.key(), "\" is not a PCR index 0..23"));
    }
    if (!it->is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "pcrs.", it.key(), ": not a hex string"));
    }
    std::string hex = it->get<std::string>();
    if (hex.rfind("0x", 0) == 0 || hex.rfind("0X", 0) == 0) hex = hex.substr(2);
    absl::StatusOr<std::vector<uint8_t>> value = HexDecode(hex);
    if (!value.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "pcrs.", it.key(), ": ", value.status().message()));
    }
    if (value->size() != tpm::DigestSize(*alg)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "pcrs.", it.key(), ": ", value->size(), " bytes, ",
          tpm::HashAlgName(*alg), " needs ", tpm::DigestSize(*alg)));
    }
    bank.values[index] = *std::move(value);
  }
  return bank;
}

}  // namespace

absl::StatusOr<std::vector<tpm::PcrBank>> ParsePcrExpectations(
    absl::string_view json_text) {
  absl::StatusOr<nlohmann::ordered_json> doc = ParseJson(json_text);
  if (!doc.ok()) return doc.status();
  std::vector<tpm::PcrBank> banks;
  if (doc->is_array()) {
    for (size_t i = 0; i < doc->size(); ++i) {
      absl::StatusOr<tpm::PcrBank> b = ParseEntry((*doc)[i], i);
      if (!b.ok()) return b.status();
      banks.push_back(*std::move(b));
    }
    if (banks.empty()) {
      return absl::InvalidArgumentError("expectation list is empty");
    }
  } else {
    absl::StatusOr<tpm::PcrBank> b = ParseEntry(*doc, 0);
    if (!b.ok()) return b.status();
    banks.push_back(*std::move(b));
  }
  return banks;
}

}  // namespace vigil::vigilctl
