// Match expressions against frames.

#include <gtest/gtest.h>

#include "conformance/loader.h"
#include "conformance/yaml_reader.h"

namespace cable::conformance {
namespace {

class Vars : public RenderContext {
 public:
  std::map<std::string, Json> values;
  std::optional<Json> Variable(std::string_view name) const override {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
  Result<std::string> Sign(std::string_view, SignKey) const override { return std::string("sig"); }
};

Pattern P(const std::string& yaml) {
  YamlReader r("p.yml");
  return r.ReadPattern(YAML::Load(yaml));
}

MatchOutcome M(const std::string& pattern, const std::string& json, bool exact = false,
               const Vars& vars = Vars()) {
  return Match(P(pattern), Json::parse(json), exact, vars);
}

TEST(Matcher, ObjectsAreSubsetsUnlessExact) {
  EXPECT_TRUE(M("{type: welcome}", R"({"type":"welcome","sid":"x"})").ok);
  EXPECT_FALSE(M("{type: welcome}", R"({"type":"welcome","sid":"x"})", true).ok);
  EXPECT_FALSE(M("!exact {type: welcome}", R"({"type":"welcome","sid":"x"})").ok);
  EXPECT_TRUE(M("!subset {type: welcome}", R"({"type":"welcome","sid":"x"})", true).ok);
  auto nested = M("{message: !exact {a: {b: 1}}}", R"({"message":{"a":{"b":1,"c":2}}})");
  EXPECT_FALSE(nested.ok);
  EXPECT_EQ(nested.why, "at .message.a.c: unexpected key (exact match)");
}

TEST(Matcher, ScalarsFollowYamlTypes) {
  EXPECT_TRUE(M("{n: 1}", R"({"n":1.0})").ok);
  EXPECT_FALSE(M("{n: 1}", R"({"n":"1"})").ok);
  EXPECT_TRUE(M("{n: \"1\"}", R"({"n":"1"})").ok);
  EXPECT_TRUE(M("{b: false, z: null}", R"({"b":false,"z":null})").ok);
  auto r = M("{reason: remote}", R"({"reason":"server_restart"})");
  EXPECT_EQ(r.why, "at .reason: expected \"remote\", got \"server_restart\"");
  EXPECT_EQ(M("{type: x}", R"({"other":1})").why, "at .type: missing");
}

TEST(Matcher, TypesRegexAbsentAndArrays) {
  EXPECT_TRUE(M("{message: !int}", R"({"message":17})").ok);
  EXPECT_FALSE(M("{message: !int}", R"({"message":1.5})").ok);
  EXPECT_TRUE(M("{m: !any}", R"({"m":null})").ok);
  EXPECT_FALSE(M("{m: !any}", R"({})").ok);
  EXPECT_TRUE(M("{sid: !absent}", R"({"type":"welcome"})").ok);
  EXPECT_FALSE(M("{sid: !absent}", R"({"sid":"a"})").ok);
  EXPECT_TRUE(M("{s: !regex \"^user left\"}", R"({"s":"user left: x"})").ok);
  EXPECT_FALSE(M("{s: !regex \"^user left\"}", R"({"s":"a user left"})").ok);
  EXPECT_TRUE(M("[1, !string]", R"([1,"a"])").ok);
  EXPECT_FALSE(M("[1]", R"([1,2])").ok);
  EXPECT_TRUE(M("!json {a: 1}", R"("{\"a\":1,\"b\":2}")").ok);
  EXPECT_FALSE(M("!json {a: 1}", R"({"a":1})").ok);
}

TEST(Matcher, CapturesAndComparisons) {
  auto r = M("{type: ping, message: !capture t:int}", R"({"type":"ping","message":100})");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.captures.at("t"), 100);
  Vars v;
  v.values["t"] = 100;
  EXPECT_TRUE(M("{message: !gt \"{{t}}\"}", R"({"message":101})", false, v).ok);
  EXPECT_FALSE(M("{message: !gt \"{{t}}\"}", R"({"message":100})", false, v).ok);
  EXPECT_TRUE(M("{message: !ge \"{{t}}\"}", R"({"message":100})", false, v).ok);
  // A bound name must hold the same value again.
  EXPECT_FALSE(M("{message: !capture t}", R"({"message":5})", false, v).ok);
  EXPECT_TRUE(M("{message: !capture t}", R"({"message":100})", false, v).ok);
  // Nanosecond timestamps compare exactly.
  EXPECT_TRUE(
      M("{m: !range [1000000000000000000, 9223372036854775807]}", R"({"m":1709754437123456789})")
          .ok);
  EXPECT_FALSE(M("{m: !range [1000000000000, 99999999999999]}", R"({"m":1709754437})").ok);
  // Templates in strings.
  v.values["run"] = "abc";
  EXPECT_TRUE(M("{uid: \"26-{{run}}\"}", R"({"uid":"26-abc"})", false, v).ok);
}

TEST(Matcher, DescribeRendersPatternsForReports) {
  Vars v;
  v.values["t"] = 7;
  EXPECT_EQ(Describe(P("{type: ping, message: !gt \"{{t}}\"}"), v),
            R"({"type":"ping","message":<gt 7>,...})");
  EXPECT_EQ(Describe(P("!exact {a: !capture x:int, b: !absent}"), v),
            R"({"a":<capture x:int>,"b":<absent>})");
}

}  // namespace
}  // namespace cable::conformance
