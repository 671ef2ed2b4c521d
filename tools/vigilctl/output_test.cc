// YAML rendering: multi-line strings as literal blocks whose chomping keeps
// the text exact (each expectation was checked by loading it with PyYAML
// and comparing with the JSON rendering).
#include "tools/vigilctl/output.h"

#include "gtest/gtest.h"

namespace vigil::vigilctl {
namespace {

using json = nlohmann::ordered_json;

std::string Yaml(const std::string& key, const json& value) {
  json doc = json::object();
  doc[key] = value;
  return ToYaml(doc);
}

TEST(ToYaml, MultiLineTextIsALiteralBlockKeepingTrailingNewlines) {
  EXPECT_EQ(Yaml("p", "version=1.0;\n  x\n\ny\n"),
            "---\np: |\n  version=1.0;\n    x\n\n  y\n");
  EXPECT_EQ(Yaml("p", "no trailing\nnewline"),
            "---\np: |-\n  no trailing\n  newline\n");
  EXPECT_EQ(Yaml("p", "two\n\n"), "---\np: |+\n  two\n\n");
}

TEST(ToYaml, LeadingSpaceGetsAnIndentationIndicator) {
  EXPECT_EQ(Yaml("p", "  lead\nz\n"), "---\np: |2\n    lead\n  z\n");
  EXPECT_EQ(Yaml("p", json::array({"  lead\nz"})),
            "---\np:\n  - |2-\n      lead\n    z\n");
}

TEST(ToYaml, TextABlockCannotHoldStaysQuoted) {
  EXPECT_EQ(Yaml("p", "bell\x07\n"), "---\np: \"bell\\u0007\\n\"\n");
  EXPECT_EQ(Yaml("p", "\n"), "---\np: \"\\n\"\n");
  EXPECT_EQ(Yaml("p", "cr\r\nlf\n"), "---\np: \"cr\\r\\nlf\\n\"\n");
  EXPECT_EQ(Yaml("p", "one line"), "---\np: one line\n");
}

}  // namespace
}  // namespace vigil::vigilctl
