# Every external dependency is found here, once (style.md Part 3).
# Debian 12 packages only; see scripts/install-deps and docs/toolchain notes.
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(nlohmann_json 3 CONFIG REQUIRED)
if(VIGIL_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
if(VIGIL_BUILD_BENCHMARKS)
  find_package(benchmark CONFIG REQUIRED)
endif()
