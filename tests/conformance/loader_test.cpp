// Scenario files: what loads, and how mistakes are reported (file, line,
// what was found and what was expected) before anything runs.

#include <gtest/gtest.h>

#include <algorithm>

#include "scenario_text.h"

namespace cable::conformance {
namespace {

TEST(ScenarioLoader, LoadsEveryStepKind) {
  auto r = Load(R"(
feature: Everything
requires: [rpc, broadcast]
backend: anyt
resources: [a]
timeout: 2s
vars:
  id: !json {channel: Anyt::TestChannels::SingleStreamChannel}
scenarios:
  - name: all steps
    clients:
      - name: alice
        count: 2
        ignore: [ping, {type: confirm_subscription}]
        steps:
          - connect:
              path: /cable
              query: {test: uid, uid: "{{run}}"}
              headers: {x-api-token: abc}
              cookies: {username: john}
              subprotocols: [actioncable-v1-json]
              token: {identifiers: {user_id: 1}, expires_in: 60, alg: HS384, in: header}
              welcome: {sid: !capture sid:string}
          - send: '{"command":"x"}'
          - send: {json: {command: ping}}
          - send: {hex: "81 02"}
          - send: {text: x, repeat: 3}
          - subscribe: {identifier: "{{id}}", expect: reject, timeout: 1s}
          - subscribe: {channel: X, params: {id: 1}}
          - perform: {identifier: "{{id}}", action: echo, data: {text: hi}}
          - perform: {identifier: "{{id}}", raw_data: {action: tick}}
          - whisper: {identifier: "{{id}}", data: {event: typing}}
          - unsubscribe: {identifier: "{{id}}", sync: false}
          - sync
          - receive: {identifier: "{{id}}", message: {n: !int}, exact: true}
          - receive: {messages: [{type: a}, {frame: [1, 2]}], any_order: true}
          - expect_nothing: 300ms
          - expect_close: {code: 1000, disconnect: {reason: remote}}
          - broadcast: {stream: a, data: {x: 1}, exclude_socket: "{{sid}}"}
          - broadcast: {publications: [{stream: a, raw_data: "x"}], adapter: redis}
          - broadcast: {body: "{}", key: wrong, expect_error: unauthorized, repeat: 2}
          - remote_disconnect: {identifiers: {uid: "{{run}}"}, reconnect: true}
          - wait_all
          - sleep: 10ms
          - close: {code: 1001}
          - loop: {count: 2, steps: [sync]}
      - name: bob
        steps:
          - restart
)");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  const Scenario& s = r->front();
  EXPECT_EQ(s.feature, "Everything");
  EXPECT_EQ(s.total_clients(), 3);
  EXPECT_EQ(s.clients[0].steps.size(), 24u);
  EXPECT_TRUE(s.uses_restart);
  EXPECT_TRUE(s.exclusive);  // restarting scenarios run alone
  EXPECT_TRUE(s.uses_secret);
  EXPECT_EQ(s.timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(s.clients[0].steps[0].pos.line, 16);
}

TEST(ScenarioLoader, SingleScenarioFileAndDefaults) {
  auto r = Load("name: one\nsteps: [connect]\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->front().feature, "t");  // from the file name
  EXPECT_EQ(r->front().clients[0].name, "client");
  ASSERT_EQ(r->front().clients[0].ignore.size(), 1u);
  EXPECT_EQ(r->front().clients[0].ignore[0].type, "ping");
}

TEST(ScenarioLoader, UnknownStepNamesFileLineAndTheSteps) {
  std::string e = LoadError(R"(feature: F
scenarios:
  - name: s
    steps:
      - connect
      - recieve: {type: welcome}
)");
  EXPECT_NE(e.find("t.yml:6:9"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown step \"recieve\""), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean \"receive\""), std::string::npos) << e;
  EXPECT_NE(e.find("expected one of connect, send"), std::string::npos) << e;
}

TEST(ScenarioLoader, BadYamlHasALine) {
  std::string e = LoadError("feature: F\nscenarios:\n  - name: [unclosed\n");
  EXPECT_NE(e.find("t.yml:"), std::string::npos) << e;
  EXPECT_NE(e.find("bad YAML"), std::string::npos) << e;
}

TEST(ScenarioLoader, BadMatchExpressions) {
  auto steps = [](const std::string& step) {
    return "name: s\nsteps:\n  - connect\n  - " + step + "\n";
  };
  std::string e = LoadError(steps("receive: {type: ping, message: !integer}"));
  EXPECT_NE(e.find("t.yml:4:"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown match tag !integer"), std::string::npos) << e;
  EXPECT_NE(e.find("expected !any, !string, !int"), std::string::npos) << e;

  e = LoadError(steps("receive: {message: !regex \"([a-z\"}"));
  EXPECT_NE(e.find("bad regular expression"), std::string::npos) << e;

  e = LoadError(steps("receive: {message: !gt soon}"));
  EXPECT_NE(e.find("found \"soon\" tagged !gt; expected a number or \"{{variable}}\" after !gt"),
            std::string::npos)
      << e;

  e = LoadError(steps("receive: {message: !capture 9lives}"));
  EXPECT_NE(e.find("!capture NAME"), std::string::npos) << e;

  e = LoadError(steps("receive: {message: !int 5}"));
  EXPECT_NE(e.find("!int takes no value"), std::string::npos) << e;

  e = LoadError(steps("receive: {message: !range [1]}"));
  EXPECT_NE(e.find("!range [min, max]"), std::string::npos) << e;
}

TEST(ScenarioLoader, UnknownKeysSuggestTheRightOne) {
  std::string e = LoadError("name: s\nsteps:\n  - connect: {querry: {a: 1}}\n");
  EXPECT_NE(e.find("t.yml:3:15"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key \"querry\" in connect (did you mean \"query\"?)"),
            std::string::npos)
      << e;
}

TEST(ScenarioLoader, UndefinedVariablesAreErrors) {
  std::string e = LoadError("name: s\nsteps:\n  - connect: {query: {sid: \"{{sid}}\"}}\n");
  EXPECT_NE(e.find("uses {{sid}} but nothing defines it"), std::string::npos) << e;
  // A capture anywhere in the scenario defines it.
  auto r = Load(R"(name: s
clients:
  - steps: [{connect: {welcome: {sid: !capture sid}}}]
  - steps: [{connect: {query: {other: "{{sid}}"}}}]
)");
  EXPECT_TRUE(r.ok()) << r.error().message;
}

TEST(ScenarioLoader, UnknownFeaturesAndBackends) {
  std::string e = LoadError("requires: [jwtt]\nname: s\nsteps: [connect]\n");
  EXPECT_NE(e.find("unknown feature \"jwtt\" (did you mean \"jwt\"?)"), std::string::npos) << e;
  e = LoadError("backend: nowhere.yml\nname: s\nsteps: [connect]\n");
  EXPECT_NE(e.find("backend \"nowhere.yml\" is neither a file"), std::string::npos) << e;
}

TEST(ScenarioLoader, StructuralMistakes) {
  EXPECT_NE(LoadError("name: s\nsteps: [{connect: {}, send: x}]\n").find("exactly one key"),
            std::string::npos);
  EXPECT_NE(LoadError("name: s\n").find("needs clients"), std::string::npos);
  EXPECT_NE(LoadError("name: s\nsteps: [{expect_nothing: forever}]\n").find("a duration"),
            std::string::npos);
  EXPECT_NE(LoadError("name: s\nsteps: [{loop: {count: 2}}]\n").find("count and steps"),
            std::string::npos);
  EXPECT_NE(LoadError("scenarios: [{name: a, steps: [connect]}, {name: a, steps: [connect]}]\n")
                .find("defined twice"),
            std::string::npos);
  EXPECT_NE(LoadError("name: s\nsteps: [{subscribe: {params: {a: 1}}}]\n").find("missing channel"),
            std::string::npos);
}

TEST(ScenarioLoader, SuiteLoadsEveryShippedScenario) {
  LoadedSuite suite = LoadSuite({std::string(CABLE_SOURCE_DIR) + "/scenarios/conformance"});
  for (const auto& e : suite.errors) ADD_FAILURE() << e;
  int anyt = 0;
  for (const auto& s : suite.scenarios) anyt += s.pos.file.find("/anyt/") != std::string::npos;
  EXPECT_EQ(anyt, 32);  // every test of the AnyT catalogue
  std::vector<std::string> backends;
  for (const auto& s : suite.scenarios)
    for (const auto& b : s.backends)
      if (std::find(backends.begin(), backends.end(), b) == backends.end()) backends.push_back(b);
  auto st = CheckBackends(backends);
  EXPECT_TRUE(st.ok()) << st.error().message;
}

// The suite compiled into the binary is the one in the tree, file for file,
// and its files are named builtin:<path> in every message.
TEST(ScenarioLoader, BuiltinSuiteIsTheTreesSuite) {
  LoadedSuite builtin = LoadSuite({"builtin:"});
  for (const auto& e : builtin.errors) ADD_FAILURE() << e;
  LoadedSuite tree = LoadSuite({std::string(CABLE_SOURCE_DIR) + "/scenarios/conformance"});
  ASSERT_EQ(builtin.scenarios.size(), tree.scenarios.size());
  for (size_t i = 0; i < tree.scenarios.size(); ++i) {
    EXPECT_EQ(builtin.scenarios[i].id(), tree.scenarios[i].id());
    EXPECT_EQ(builtin.scenarios[i].pos.file.rfind("builtin:", 0), 0u);
    EXPECT_EQ(builtin.scenarios[i].pos.line, tree.scenarios[i].pos.line);
  }
  std::vector<std::string> backends;
  for (const auto& sc : builtin.scenarios)
    for (const auto& b : sc.backends)
      if (std::find(backends.begin(), backends.end(), b) == backends.end()) backends.push_back(b);
  EXPECT_NE(std::find(backends.begin(), backends.end(), "builtin:anycable/presence.backend.yml"),
            backends.end());
  auto st = CheckBackends(backends);
  EXPECT_TRUE(st.ok()) << st.error().message;

  EXPECT_EQ(LoadSuite({"builtin:anyt"}).scenarios.size(), 32u);
  EXPECT_EQ(LoadSuite({"builtin:anyt/core_ping.yml"}).scenarios.size(), 1u);
  LoadedSuite missing = LoadSuite({"builtin:nope"});
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_NE(missing.errors[0].find("builtin:nope: no such file"), std::string::npos);
}

TEST(ScenarioLoader, BuiltinFilesAreNamedInMessages) {
  auto bad = LoadScenarioText("builtin:anyt/x.yml", "name: s\nsteps: [{dance: 1}]\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.rfind("builtin:anyt/x.yml:2:", 0), 0u) << bad.error().message;
  auto backend = LoadScenarioText("builtin:anyt/x.yml",
                                  "name: s\nbackend: ../../outside.yml\nsteps: [connect]\n");
  ASSERT_FALSE(backend.ok());
  EXPECT_NE(backend.error().message.find("a path outside the suite"), std::string::npos);
  auto next_to = LoadScenarioText("builtin:anycable/x.yml",
                                  "name: s\nbackend: conformance.backend.yml\nsteps: [connect]\n");
  ASSERT_TRUE(next_to.ok()) << next_to.error().message;
  EXPECT_EQ((*next_to)[0].backends[0], "builtin:anycable/conformance.backend.yml");
}

}  // namespace
}  // namespace cable::conformance
