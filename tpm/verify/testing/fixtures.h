// File: tpm/verify/testing/fixtures.h
// -----------------------------------------------------------------------------
// Test-only access to the swtpm fixtures in tpm/verify/testdata (see its
// README.md): raw files, the PCR values in pcrs.txt and the nonces in
// manifest.txt.

#ifndef VIGIL_TPM_VERIFY_TESTING_FIXTURES_H_
#define VIGIL_TPM_VERIFY_TESTING_FIXTURES_H_

#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "common/testing/testdata.h"
#include "tpm/types/pcr_bank.h"

namespace vigil::tpm::testing {

inline std::string FixturePath(const std::string& name) {
  return vigil::testing::SourcePath("tpm/verify/testdata/" + name);
}

// The file's bytes; empty when missing (tests ASSERT non-empty).
inline std::vector<uint8_t> Fixture(const std::string& name) {
  return vigil::testing::ReadFileBytes(FixturePath(name));
}

// pcrs.txt: "bank pcr hex" per line -> one PcrBank per bank, in file order.
inline std::vector<PcrBank> FixturePcrs() {
  std::istringstream in(vigil::testing::ReadFileText(FixturePath("pcrs.txt")));
  std::vector<PcrBank> banks;
  std::string bank, hex;
  uint32_t pcr = 0;
  while (in >> bank >> pcr >> hex) {
    std::optional<HashAlg> alg = HashAlgFromName(bank);
    if (!alg.has_value()) continue;
    if (banks.empty() || banks.back().alg != *alg) banks.push_back({*alg, {}});
    banks.back().values[pcr] = HexDecode(hex).value_or(Digest{});
  }
  return banks;
}

// The nonce manifest.txt records for quote `name` ("quote_rsa"), or empty.
inline std::vector<uint8_t> FixtureNonce(const std::string& name) {
  std::istringstream in(vigil::testing::ReadFileText(FixturePath("manifest.txt")));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::string kind, key, value;
    l >> kind >> key >> value;
    if (kind == "nonce" && key == name) return HexDecode(value).value_or(std::vector<uint8_t>{});
  }
  return {};
}

}  // namespace vigil::tpm::testing

#endif  // VIGIL_TPM_VERIFY_TESTING_FIXTURES_H_
