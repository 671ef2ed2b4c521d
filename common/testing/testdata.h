// File: common/testing/testdata.h
// Reads test data files relative to the source tree. Tests are hermetic: every
// file they read is committed to the repository.

#ifndef VIGIL_COMMON_TESTING_TESTDATA_H_
#define VIGIL_COMMON_TESTING_TESTDATA_H_

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace vigil::testing {

// Absolute path of `relative` (e.g. "eventlog/testdata/x.bin") in the source tree.
inline std::string SourcePath(const std::string& relative) {
#ifdef VIGIL_SOURCE_DIR
  return std::string(VIGIL_SOURCE_DIR) + "/" + relative;
#else
  return relative;
#endif
}

// The whole file, or an empty vector if it cannot be read (tests then ASSERT
// on non-emptiness, so a missing file fails loudly).
inline std::vector<uint8_t> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

inline std::string ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

}  // namespace vigil::testing

#endif  // VIGIL_COMMON_TESTING_TESTDATA_H_
