// Definition loading: the YAML format, its error messages and templating.

#include "rpc/loader.h"

#include <gtest/gtest.h>

#include "rpc/builtin.h"
#include "rpc/template.h"
#include "support/process.h"

namespace cable::rpc {
namespace {

Result<Definitions> Load(const std::string& yaml, const std::string& name = "test.yml") {
  return LoadDefinitions({Source{name, yaml}});
}

// The error message of a load that must fail.
std::string LoadError(const std::string& yaml) {
  auto r = Load(yaml);
  EXPECT_FALSE(r.ok()) << "expected an error for:\n" << yaml;
  return r.ok() ? std::string() : r.error().message;
}

TEST(RpcLoader, AFileStartingWithACommaIsAnErrorNotAHang) {
  // yaml-cpp 0.7's LoadAll never returns for this (found by fuzzing).
  EXPECT_NE(LoadError(","), "");
  EXPECT_NE(LoadError(", \xff"), "");
}

TEST(RpcLoader, LoadsConnectionsAndChannels) {
  auto defs = Load(R"(
connections:
  - name: uid
    when: {query.test: uid}
    require: {query.uid: {present: true}}
    identifiers: {uid: "{{query.uid}}"}
    state: {visits: 1}
channels:
  Chat:
    on_subscribe:
      - stream_from: "chat/{{params.room}}"
    actions:
      speak:
        - broadcast: {stream: "chat/{{params.room}}", message: {text: "{{data.text}}"}}
    on_unsubscribe:
      - broadcast: {stream: x, message: bye}
  Empty:
)");
  ASSERT_TRUE(defs.ok()) << defs.error().message;
  ASSERT_EQ(defs->connections.size(), 1u);
  EXPECT_EQ(defs->connections[0].name, "uid");
  EXPECT_EQ(defs->channels.size(), 2u);
  EXPECT_EQ(defs->channels.at("Chat").actions.count("speak"), 1u);
  EXPECT_TRUE(Has(defs->channels.at("Chat").actions.at("speak").roots, Root::kData));
  EXPECT_FALSE(Has(defs->channels.at("Chat").on_subscribe.roots, Root::kQuery));
}

TEST(RpcLoader, EmptyDocumentDefinesNothing) {
  auto defs = Load("# nothing here\n");
  ASSERT_TRUE(defs.ok());
  EXPECT_TRUE(defs->connections.empty());
  EXPECT_TRUE(defs->channels.empty());
}

TEST(RpcLoader, MalformedYamlNamesFileLineColumn) {
  std::string msg = LoadError("channels:\n  A:\n    on_subscribe: [stream_from: a\n");
  EXPECT_NE(msg.find("test.yml:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bad YAML"), std::string::npos) << msg;
}

TEST(RpcLoader, UnknownTopLevelKey) {
  std::string msg = LoadError("channels: {}\nchanels: {}\n");
  EXPECT_EQ(msg.rfind("test.yml:2:1: unknown key \"chanels\" in the top level", 0), 0u) << msg;
  EXPECT_NE(msg.find("(did you mean \"channels\"?)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected connections or channels"), std::string::npos) << msg;
}

TEST(RpcLoader, UnknownChannelKey) {
  std::string msg = LoadError("channels:\n  A:\n    on_subscibe: []\n");
  EXPECT_EQ(msg.rfind("test.yml:3:5: unknown key \"on_subscibe\" in channel 'A'", 0), 0u) << msg;
}

TEST(RpcLoader, UnknownConnectionKey) {
  std::string msg = LoadError("connections:\n  - name: x\n    identifers: {a: b}\n");
  EXPECT_EQ(msg.rfind("test.yml:3:5: unknown key \"identifers\"", 0), 0u) << msg;
}

TEST(RpcLoader, UnknownStep) {
  std::string msg = LoadError("channels:\n  A:\n    on_subscribe:\n      - strem_from: a\n");
  EXPECT_EQ(msg.rfind("test.yml:4:9: unknown step \"strem_from\"", 0), 0u) << msg;
  EXPECT_NE(msg.find("(did you mean \"stream_from\"?)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("; expected one of transmit, broadcast, stream_from"), std::string::npos)
      << msg;
}

TEST(RpcLoader, StepNotAllowedInContext) {
  std::string msg = LoadError("channels:\n  A:\n    actions:\n      x:\n        - reject: true\n");
  EXPECT_NE(msg.find("test.yml:5:11: 'reject' is not allowed in actions"), std::string::npos)
      << msg;
}

TEST(RpcLoader, TwoStepsInOneItem) {
  std::string msg = LoadError(
      "channels:\n  A:\n    on_subscribe:\n      - stream_from: a\n        transmit: b\n");
  EXPECT_NE(msg.find("test.yml:5:9: one step per list item"), std::string::npos) << msg;
}

TEST(RpcLoader, WrongTypes) {
  // The same wording as the conformance scenario reader: "found X; expected Y".
  EXPECT_NE(LoadError("connections: {a: 1}\n")
                .find("found a mapping; expected a list of connection handlers"),
            std::string::npos);
  EXPECT_NE(
      LoadError("channels: [a]\n").find("found a sequence; expected a mapping for 'channels'"),
      std::string::npos);
  EXPECT_NE(
      LoadError("channels:\n  A:\n    on_subscribe: {stream_from: a}\n")
          .find(
              "test.yml:3:19: found a mapping; expected a list of steps (each starting with '- ') "
              "for 'on_subscribe'"),
      std::string::npos);
  EXPECT_NE(LoadError("channels:\n  A:\n    on_subscribe:\n      - reject: yes\n")
                .find("found \"yes\"; expected true or false"),
            std::string::npos);
  EXPECT_NE(LoadError("channels:\n  A:\n    on_subscribe:\n      - stream_from: {a: b}\n")
                .find("found a mapping; expected a string for 'stream_from'"),
            std::string::npos);
  EXPECT_NE(LoadError("channels:\n  A:\n    on_subscribe:\n      - transmit: !foo bar\n")
                .find("found \"bar\" tagged !foo; expected a string for 'transmit'"),
            std::string::npos);
  EXPECT_NE(LoadError("channels:\n  A:\n    on_subscribe:\n      - broadcast: {stream: a}\n")
                .find("'broadcast' needs 'message'"),
            std::string::npos);
}

TEST(RpcLoader, DuplicateKeys) {
  std::string msg = LoadError("channels:\n  A: {}\n  A: {}\n");
  EXPECT_NE(msg.find("test.yml:3:3: duplicate key \"A\""), std::string::npos) << msg;
}

TEST(RpcLoader, BadTemplatesPointAtThePlaceholder) {
  // Unknown root: column of the root name inside the scalar.
  std::string msg =
      LoadError("channels:\n  A:\n    on_subscribe:\n      - stream_from: chat/{{parms.room}}\n");
  EXPECT_EQ(msg.rfind("test.yml:4:29: bad template in 'stream_from'", 0), 0u) << msg;
  EXPECT_NE(msg.find("unknown root 'parms'"), std::string::npos) << msg;
  // Unclosed braces in a quoted scalar.
  msg = LoadError("channels:\n  A:\n    on_subscribe:\n      - transmit: \"hi {{params.x\"\n");
  EXPECT_EQ(msg.rfind("test.yml:4:23: bad template", 0), 0u) << msg;
  EXPECT_NE(msg.find("unclosed '{{'"), std::string::npos) << msg;
  // Empty placeholder.
  EXPECT_NE(LoadError("channels:\n  A:\n    on_subscribe:\n      - transmit: \"{{ }}\"\n")
                .find("empty '{{}}'"),
            std::string::npos);
}

TEST(RpcLoader, RootsAreCheckedPerHandler) {
  // A connection handler has no channel params, subscribe has no action data.
  std::string msg = LoadError("connections:\n  - identifiers: {a: \"{{params.x}}\"}\n");
  EXPECT_NE(msg.find("'params' is not available here"), std::string::npos) << msg;
  msg = LoadError("channels:\n  A:\n    on_subscribe:\n      - transmit: \"{{data.x}}\"\n");
  EXPECT_NE(msg.find("'data' is not available here"), std::string::npos) << msg;
  msg = LoadError("channels:\n  A:\n    on_subscribe:\n      - require: {prams.x: 1}\n");
  EXPECT_NE(msg.find("test.yml:4:19: bad path in 'require': unknown root 'prams'"),
            std::string::npos)
      << msg;
}

TEST(RpcLoader, UnknownMatcher) {
  std::string msg = LoadError("connections:\n  - when: {query.a: {equal: 1}}\n");
  EXPECT_NE(msg.find("test.yml:2:22: unknown key \"equal\""), std::string::npos) << msg;
}

TEST(RpcLoader, ChannelDefinedTwiceAcrossFiles) {
  auto r = LoadDefinitions(
      {Source{"a.yml", "channels:\n  A: {}\n"}, Source{"b.yml", "channels:\n  B: {}\n  A: {}\n"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "b.yml:3:3: channel 'A' is already defined at a.yml:2:3");
}

TEST(RpcLoader, FilesMerge) {
  auto r = LoadDefinitions({Source{"a.yml", "connections: [{name: one}]\nchannels: {A: }\n"},
                            Source{"b.yml", "connections: [{name: two}]\nchannels: {B: }\n"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->connections.size(), 2u);
  EXPECT_EQ(r->connections[1].name, "two");
  EXPECT_EQ(r->channels.size(), 2u);
}

TEST(RpcLoader, AliasBombIsBounded) {
  std::string yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'i'; ++c) {
    yaml += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) yaml += std::string(i ? ", *" : "*") + prev;
    yaml += "]\n";
    prev = c;
  }
  yaml = "channels:\n  A:\n    on_subscribe:\n      - transmit: {" + [&] {
    std::string inner;
    for (size_t pos = 0; pos < yaml.size();) {
      size_t nl = yaml.find('\n', pos);
      inner += (inner.empty() ? "" : ", ") + yaml.substr(pos, nl - pos);
      pos = nl + 1;
    }
    return inner;
  }() + "}\n";
  std::string msg = LoadError(yaml);
  EXPECT_NE(msg.find("too many YAML nodes"), std::string::npos) << msg;
}

TEST(RpcLoader, FileErrors) {
  auto missing = ReadSource("/nonexistent/backend.yml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("no such file"), std::string::npos);
  auto unknown = ResolveDefinition("no-such-builtin");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("anyt, benchmark, demo"), std::string::npos)
      << unknown.error().message;
}

TEST(RpcLoader, BuiltinsLoadAndMatchTheSourceTree) {
  for (const char* name : {"anyt", "benchmark", "demo"}) {
    auto src = ResolveDefinition(name);
    ASSERT_TRUE(src.ok()) << name;
    auto file = ReadSource(testing::SourcePath(std::string("scenarios/backend/") + name + ".yml"));
    ASSERT_TRUE(file.ok());
    EXPECT_EQ(src->text, file->text) << name << " is stale; rebuild";
    auto defs = LoadDefinitions({*src});
    EXPECT_TRUE(defs.ok()) << defs.error().message;
  }
}

// Templates ------------------------------------------------------------------

constexpr RootSet kAll = ~RootSet{0};

Json RenderWith(const std::string& text, const Scope& scope) {
  std::size_t offset = 0;
  auto t = Template::Compile(text, kAll, &offset);
  EXPECT_TRUE(t.ok()) << text;
  return t.ok() ? t->Render(scope) : Json();
}

TEST(RpcTemplate, SinglePlaceholderKeepsType) {
  Scope scope;
  scope.Set(Root::kState, Json::parse(R"({"count":3,"user":{"name":"chip"}})"));
  scope.Set(Root::kHeaders, Json::parse(R"({"x-api-token":"abc"})"));
  EXPECT_EQ(RenderWith("{{state.count}}", scope), Json(3));
  EXPECT_EQ(RenderWith("{{ state.user }}", scope), Json::parse(R"({"name":"chip"})"));
  EXPECT_EQ(RenderWith("{{state.missing}}", scope), Json());
  EXPECT_EQ(RenderWith("{{headers.X-Api-Token}}", scope), Json("abc"));
}

TEST(RpcTemplate, InterpolationMakesText) {
  Scope scope;
  scope.Set(Root::kState, Json::parse(R"({"count":3,"user":{"name":"chip"}})"));
  scope.Set(Root::kParams, Json::parse(R"({"id":[1,2]})"));
  EXPECT_EQ(RenderWith("n={{state.count}}", scope), Json("n=3"));
  EXPECT_EQ(RenderWith("left{{params.missing}}", scope), Json("left"));
  EXPECT_EQ(RenderWith("{{state.user.name}}/{{params.id.1}}", scope), Json("chip/2"));
  EXPECT_EQ(RenderWith("u={{state.user}}", scope), Json(R"(u={"name":"chip"})"));
  EXPECT_EQ(RenderWith("no placeholders }}", scope), Json("no placeholders }}"));
}

TEST(RpcTemplate, MergeKeySpreadsObjects) {
  auto defs = Load(R"(
channels:
  A:
    actions:
      x:
        - transmit: {"<<": "{{data}}", action: reply}
)");
  ASSERT_TRUE(defs.ok()) << defs.error().message;
  const auto& step = defs->channels.at("A").actions.at("x").steps.at(0);
  Scope scope;
  scope.Set(Root::kData, Json::parse(R"({"action":"x","payload":{"n":1}})"));
  Json out = std::get<TransmitStep>(step.action).message.Render(scope);
  EXPECT_EQ(out.dump(), R"({"action":"reply","payload":{"n":1}})");
}

TEST(RpcTemplate, ScalarsAreTyped) {
  auto defs = Load(R"(
channels:
  A:
    on_subscribe:
      - transmit: [1, -2, 1.5, true, ~, "1", text, 0x1, 1e3, yes]
)");
  ASSERT_TRUE(defs.ok()) << defs.error().message;
  const auto& step = defs->channels.at("A").on_subscribe.steps.at(0);
  Json out = std::get<TransmitStep>(step.action).message.Render(Scope());
  EXPECT_EQ(out.dump(), R"([1,-2,1.5,true,null,"1","text","0x1",1000.0,"yes"])");
}

}  // namespace
}  // namespace cable::rpc
