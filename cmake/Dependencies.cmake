# Every external dependency is found here, once (style.md Part 3).
# Debian 12 packages only; see scripts/install-deps and docs/toolchain notes.
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(nlohmann_json 3 CONFIG REQUIRED)
# tpm2-tss through pkg-config (Debian ships no CMake config): tss2-mu alone
# for the pure wire/verify code, the full stack for tpm/device only.
find_package(PkgConfig REQUIRED)
pkg_check_modules(TSS2_MU REQUIRED IMPORTED_TARGET GLOBAL tss2-mu)
pkg_check_modules(TSS2 REQUIRED IMPORTED_TARGET GLOBAL tss2-esys tss2-mu tss2-tctildr tss2-rc)
# The protocol: protobuf through CMake's FindProtobuf (Debian ships no config
# for it), gRPC through its own config (which needs protobuf-compiler-grpc's
# plugins on disk; see scripts/install-deps). sd_notify for the daemons.
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET GLOBAL libsystemd)
# The control plane's store (service/store): SQLite embedded, libpq for a
# PostgreSQL shared by several replicas (pkg-config: CMake's FindPostgreSQL
# also wants the server headers, which libpq-dev does not ship).
find_package(SQLite3 REQUIRED)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET GLOBAL libpq)
# The relying-party HTTPS endpoint (its .pc adds -DCPPHTTPLIB_OPENSSL_SUPPORT).
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET GLOBAL cpp-httplib)
# vigil::malloc: the allocator of the long-running servers (VIGIL_TCMALLOC).
# Linked with --no-as-needed: nothing calls tcmalloc by name, the point is
# that its malloc comes before glibc's in the symbol search order (the tests
# build.malloc_is_tcmalloc.* check the binding at run time).
add_library(vigil_malloc INTERFACE)
add_library(vigil::malloc ALIAS vigil_malloc)
if(VIGIL_TCMALLOC)
  pkg_check_modules(TCMALLOC REQUIRED IMPORTED_TARGET GLOBAL libtcmalloc_minimal)
  target_link_libraries(vigil_malloc INTERFACE
    "-Wl,--push-state,--no-as-needed" PkgConfig::TCMALLOC "-Wl,--pop-state")
endif()
if(VIGIL_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
if(VIGIL_BUILD_BENCHMARKS)
  find_package(benchmark CONFIG REQUIRED)
endif()

# vigil::absl and vigil::crypto: every Vigil target links abseil and OpenSSL
# through these two, never through absl::* / OpenSSL::Crypto directly
# (scripts/check-layering enforces it). An executable whose VIGIL_STATIC_LINK
# property is ON (vigil_cc_binary(... STATIC)) gets the static archives; every
# other target the shared libraries. Why: a short-lived CLI such as vigilctl
# spends most of its life in the dynamic loader resolving 30 abseil
# libraries (docs/PERFORMANCE.md), while binaries that link gRPC must use the
# shared abseil gRPC itself uses, or the process would hold two copies.
set(_vigil_static "$<BOOL:$<TARGET_PROPERTY:VIGIL_STATIC_LINK>>")
set(VIGIL_ABSL_SHARED_TARGETS
  absl::base absl::status absl::statusor absl::strings absl::str_format
  absl::span absl::inlined_vector absl::optional absl::variant absl::time
  absl::synchronization absl::flat_hash_map absl::flat_hash_set absl::cord)
get_target_property(_absl_location absl::strings IMPORTED_LOCATION_RELWITHDEBINFO)
if(NOT _absl_location)
  get_target_property(_absl_location absl::strings IMPORTED_LOCATION_NONE)
endif()
if(NOT _absl_location)
  get_target_property(_absl_location absl::strings IMPORTED_LOCATION)
endif()
get_filename_component(_absl_libdir "${_absl_location}" DIRECTORY)
file(GLOB _absl_static_archives "${_absl_libdir}/libabsl_*.a")
add_library(vigil_absl INTERFACE)
add_library(vigil::absl ALIAS vigil_absl)
if(_absl_static_archives)
  string(REPLACE ";" "$<SEMICOLON>" _absl_static_list "${_absl_static_archives}")
  target_link_libraries(vigil_absl INTERFACE
    "$<${_vigil_static}:-Wl,--start-group$<SEMICOLON>${_absl_static_list}$<SEMICOLON>-Wl,--end-group>"
    "$<$<NOT:${_vigil_static}>:${VIGIL_ABSL_SHARED_TARGETS}>")
else()
  target_link_libraries(vigil_absl INTERFACE ${VIGIL_ABSL_SHARED_TARGETS})
endif()

get_filename_component(_ssl_libdir "${OPENSSL_CRYPTO_LIBRARY}" DIRECTORY)
add_library(vigil_crypto INTERFACE)
add_library(vigil::crypto ALIAS vigil_crypto)
if(EXISTS "${_ssl_libdir}/libcrypto.a")
  target_link_libraries(vigil_crypto INTERFACE
    "$<${_vigil_static}:${_ssl_libdir}/libcrypto.a$<SEMICOLON>-ldl$<SEMICOLON>-pthread>"
    "$<$<NOT:${_vigil_static}>:OpenSSL::Crypto>")
else()
  target_link_libraries(vigil_crypto INTERFACE OpenSSL::Crypto)
endif()
target_include_directories(vigil_crypto INTERFACE ${OPENSSL_INCLUDE_DIR})
