# A small rule set in the manner of tink-cc's TinkBuildRules.cmake (style.md rule 23):
#   vigil_cc_library(NAME n SRCS ... [HDRS ...] DEPS ... [PUBLIC])
#   vigil_cc_test(NAME n SRCS ... DEPS ... [LABELS ...] [TEST_PREFIX p.])
#   vigil_cc_binary(NAME n SRCS ... DEPS ... [OUTPUT_NAME name])
#   vigil_cc_fuzzer(NAME n SRCS ... DEPS ...)
#   vigil_cc_benchmark(NAME n SRCS ... DEPS ...)
# Library target names are vigil_<module>_<name>; each gets the alias
# vigil::<module>::<name>. Every Vigil target builds with warnings on and,
# with VIGIL_WERROR, treated as errors.

set(VIGIL_WARNING_FLAGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wcast-align -Wunused -Woverloaded-virtual -Wformat=2 -Wimplicit-fallthrough)
if(VIGIL_WERROR)
  list(APPEND VIGIL_WARNING_FLAGS -Werror)
endif()

function(_vigil_apply_common target)
  target_compile_options(${target} PRIVATE ${VIGIL_WARNING_FLAGS})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  if(VIGIL_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${VIGIL_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(${target} PUBLIC -fsanitize=${VIGIL_SANITIZE})
  endif()
endfunction()

# The module prefix comes from the directory: common -> common, tpm/types -> tpm_types.
function(_vigil_module_prefix out_var out_ns)
  file(RELATIVE_PATH rel "${PROJECT_SOURCE_DIR}" "${CMAKE_CURRENT_SOURCE_DIR}")
  string(REPLACE "/" "_" prefix "${rel}")
  string(REPLACE "/" "::" ns "${rel}")
  set(${out_var} "${prefix}" PARENT_SCOPE)
  set(${out_ns} "${ns}" PARENT_SCOPE)
endfunction()

function(vigil_cc_library)
  cmake_parse_arguments(V "PUBLIC" "NAME" "SRCS;HDRS;DEPS" ${ARGN})
  _vigil_module_prefix(prefix ns)
  set(target "vigil_${prefix}_${V_NAME}")
  set(has_src FALSE)
  foreach(s IN LISTS V_SRCS)
    if(s MATCHES "\\.cc$")
      set(has_src TRUE)
    endif()
  endforeach()
  if(has_src)
    add_library(${target} STATIC ${V_SRCS} ${V_HDRS})
    target_link_libraries(${target} PUBLIC ${V_DEPS})
    _vigil_apply_common(${target})
  else()
    add_library(${target} INTERFACE ${V_HDRS})
    target_link_libraries(${target} INTERFACE ${V_DEPS})
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  endif()
  add_library(vigil::${ns}::${V_NAME} ALIAS ${target})
endfunction()

# unit_tests: every executable that a "unit"-labelled test runs, so the
# sanitizer stage builds just those (not the daemons and integration tests it
# does not run).
function(_vigil_add_to_unit_tests target)
  if(NOT TARGET unit_tests)
    add_custom_target(unit_tests)
  endif()
  add_dependencies(unit_tests ${target})
endfunction()

function(vigil_cc_test)
  if(NOT VIGIL_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(V "" "NAME;TIMEOUT;TEST_PREFIX" "SRCS;DEPS;LABELS" ${ARGN})
  _vigil_module_prefix(prefix ns)
  set(target "vigil_${prefix}_${V_NAME}")
  add_executable(${target} ${V_SRCS})
  target_link_libraries(${target} PRIVATE ${V_DEPS} GTest::gmock GTest::gtest GTest::gmock_main)
  _vigil_apply_common(${target})
  target_compile_definitions(${target} PRIVATE
    VIGIL_SOURCE_DIR="${PROJECT_SOURCE_DIR}" VIGIL_BINARY_DIR="${PROJECT_BINARY_DIR}")
  if(NOT V_TIMEOUT)
    set(V_TIMEOUT 300)
  endif()
  # One label per test: "unit" unless LABELS says otherwise (e.g. integration
  # tests that start software TPMs, which the sanitizer stage skips). A list
  # would be split into separate PROPERTIES arguments by gtest_discover_tests.
  if(NOT V_LABELS)
    set(V_LABELS unit)
  endif()
  if(V_LABELS STREQUAL "unit")
    _vigil_add_to_unit_tests(${target})
  endif()
  # TEST_PREFIX: for a source built twice (differently linked), so that
  # the two binaries' tests have names of their own.
  gtest_discover_tests(${target}
    TEST_PREFIX "${V_TEST_PREFIX}"
    PROPERTIES LABELS ${V_LABELS} TIMEOUT ${V_TIMEOUT}
    DISCOVERY_TIMEOUT 60)
endfunction()

# STATIC: link abseil, OpenSSL and libstdc++ statically and without PIE, for
# short-lived command-line tools whose run time is dominated by process
# start-up (see vigil::absl in cmake/Dependencies.cmake). Not for binaries that
# link gRPC.
function(vigil_cc_binary)
  cmake_parse_arguments(V "STATIC" "NAME;OUTPUT_NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${V_NAME} ${V_SRCS})
  target_link_libraries(${V_NAME} PRIVATE ${V_DEPS})
  _vigil_apply_common(${V_NAME})
  if(V_STATIC AND NOT VIGIL_SANITIZE)
    set_target_properties(${V_NAME} PROPERTIES VIGIL_STATIC_LINK ON
                          POSITION_INDEPENDENT_CODE OFF)
    target_link_options(${V_NAME} PRIVATE -static-libstdc++ -static-libgcc -no-pie)
  endif()
  if(V_OUTPUT_NAME)
    set_target_properties(${V_NAME} PROPERTIES OUTPUT_NAME ${V_OUTPUT_NAME})
  endif()
  set_target_properties(${V_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
endfunction()

# libFuzzer targets: only with VIGIL_BUILD_FUZZERS and clang. Without them the
# same source is linked with a replay driver, so it cannot rot, and each seed
# file is run through it as a test (under the sanitizer presets too).
#   vigil_cc_fuzzer(NAME n SRCS ... DEPS ... [CORPUS dir])
# CORPUS (relative to the current source dir) holds the seed inputs; the fuzz
# runner (scripts/run-fuzzers) reads its path from fuzz/<target>.seeds.
function(vigil_cc_fuzzer)
  cmake_parse_arguments(V "" "NAME;CORPUS" "SRCS;DEPS" ${ARGN})
  _vigil_module_prefix(prefix ns)
  set(target "vigil_${prefix}_${V_NAME}")
  add_executable(${target} ${V_SRCS})
  target_link_libraries(${target} PRIVATE ${V_DEPS})
  _vigil_apply_common(${target})
  if(VIGIL_BUILD_FUZZERS)
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer)
    target_link_options(${target} PRIVATE -fsanitize=fuzzer)
  else()
    target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/common/testing/fuzz_replay_main.cc)
  endif()
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/fuzz)
  if(NOT TARGET fuzzers)
    add_custom_target(fuzzers)
  endif()
  add_dependencies(fuzzers ${target})
  if(V_CORPUS)
    set(corpus "${CMAKE_CURRENT_SOURCE_DIR}/${V_CORPUS}")
    file(WRITE "${PROJECT_BINARY_DIR}/fuzz/${target}.seeds" "${corpus}\n")
    if(VIGIL_BUILD_TESTS AND NOT VIGIL_BUILD_FUZZERS)
      file(GLOB seeds CONFIGURE_DEPENDS "${corpus}/*")
      add_test(NAME ${target}.seeds COMMAND ${target} ${seeds})
      _vigil_add_to_unit_tests(${target})
      set_tests_properties(${target}.seeds PROPERTIES LABELS "unit;fuzz-seeds")
    endif()
  endif()
endfunction()

function(vigil_cc_benchmark)
  if(NOT VIGIL_BUILD_BENCHMARKS)
    return()
  endif()
  cmake_parse_arguments(V "" "NAME" "SRCS;DEPS" ${ARGN})
  _vigil_module_prefix(prefix ns)
  set(target "vigil_${prefix}_${V_NAME}")
  add_executable(${target} ${V_SRCS})
  target_link_libraries(${target} PRIVATE ${V_DEPS} benchmark::benchmark)
  _vigil_apply_common(${target})
  target_compile_definitions(${target} PRIVATE VIGIL_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
endfunction()
