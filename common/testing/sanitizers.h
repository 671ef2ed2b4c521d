// File: common/testing/sanitizers.h
// -----------------------------------------------------------------------------
// Whether this build runs under sanitizers, for tests that must adapt:
// ASan's allocator keeps freed memory in quarantine and does not report
// through mallinfo2, and both sanitizers make exhaustive loops 10-50x
// slower. GCC defines __SANITIZE_*__; clang answers __has_feature.
#ifndef VIGIL_COMMON_TESTING_SANITIZERS_H_
#define VIGIL_COMMON_TESTING_SANITIZERS_H_

namespace vigil::testing {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

#if defined(__SANITIZE_UNDEFINED__)
inline constexpr bool kUndefinedSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(undefined_behavior_sanitizer)
inline constexpr bool kUndefinedSanitizer = true;
#else
inline constexpr bool kUndefinedSanitizer = false;
#endif
#else
inline constexpr bool kUndefinedSanitizer = false;
#endif

inline constexpr bool kUnderSanitizers =
    kAddressSanitizer || kUndefinedSanitizer;

}  // namespace vigil::testing

#endif  // VIGIL_COMMON_TESTING_SANITIZERS_H_
