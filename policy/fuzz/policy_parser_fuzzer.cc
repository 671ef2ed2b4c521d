// libFuzzer target: compiles arbitrary text as a policy and as a rule list,
// in strict and compat mode, and renders every issue. Nothing may crash,
// hang or read out of bounds; a policy that compiles must also survive
// Format() and re-compilation of its canonical text.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "policy/compiler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  using vigil::policy::CompileOptions;
  using vigil::policy::Mode;
  for (Mode mode : {Mode::kStrict, Mode::kCompat}) {
    for (CompileOptions::Form form :
         {CompileOptions::Form::kPolicy, CompileOptions::Form::kRuleList}) {
      CompileOptions options;
      options.mode = mode;
      options.form = form;
      vigil::policy::CompileResult result = vigil::policy::Compile(text, options);
      std::string rendered = result.FormatIssues();
      if (result.ok()) {
        std::string canonical = result.policy().Format();
        vigil::policy::CompileResult again =
            vigil::policy::Compile(canonical, options);
        if (!again.ok()) __builtin_trap();
        (void)result.policy().Summary();
      }
    }
  }
  return 0;
}
