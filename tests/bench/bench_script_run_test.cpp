// `cable bench run` against the real `cable serve`: the shipped chat and
// Turbo scenarios report per-step latency with every expected receipt
// accounted for, losses and wrong shapes fail the run, per-step thresholds
// pass and fail, and a broken file is refused before anything connects.

#include <gtest/gtest.h>

#include <fstream>

#include "bench_support.h"
#include "support/cable_server.h"

namespace cable::testing {
namespace {

std::string Scenario(const std::string& name) {
  return std::string(CABLE_SOURCE_DIR) + "/scenarios/bench/" + name;
}

ServeOptions Demo(std::vector<std::string> args = {}) {
  ServeOptions o;
  o.backend = "demo";
  o.args = std::move(args);
  return o;
}

std::string WriteScenario(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

int64_t Int(const nlohmann::json& j, const char* key) {
  return j.at(key).get<int64_t>();
}

TEST(BenchScriptRun, ChatMeasuresEveryStepWithoutLoss) {
  CableServer server(Demo());
  auto r = RunBench({"run", Scenario("chat.yml"), "--scale", "3", "--url", WsUrl(server.port())});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  const auto& steps = r.report["steps"];
  // 15 chatters say 10 things each; each hears the other 14.
  const auto& speak = steps["speak"];
  EXPECT_EQ(Int(speak, "sent"), 150);
  EXPECT_EQ(Int(speak, "listeners"), 15);
  EXPECT_EQ(Int(speak, "expected"), 15 * 140);
  EXPECT_EQ(Int(speak, "received"), 15 * 140);
  EXPECT_EQ(Int(speak, "missing"), 0);
  EXPECT_EQ(Int(speak, "duplicates"), 0);
  EXPECT_EQ(Int(speak, "mismatched"), 0);
  // The demo echoes a speaker's own words back: seen, not expected.
  EXPECT_EQ(Int(speak, "own"), 150);
  EXPECT_EQ(Int(speak["latency_us"], "count"), 15 * 140);
  EXPECT_GT(speak["latency_us"]["p50"].get<double>(), 0);
  EXPECT_EQ(speak["label"], "speak → message received by the others");
  // Whispers reach the others only.
  EXPECT_EQ(Int(steps["typing"], "expected"), 15 * 14);
  EXPECT_EQ(Int(steps["typing"], "received"), 15 * 14);
  EXPECT_EQ(Int(steps["typing"], "own"), 0);
  EXPECT_EQ(Int(steps["connect"], "ok"), 15);
  EXPECT_EQ(Int(steps["join"], "ok"), 15);
  EXPECT_EQ(Int(steps["join"]["latency_us"], "count"), 15);
  // The report is the usual document, with the script's parts added.
  EXPECT_EQ(r.report["schema"], "cable-bench/1");
  EXPECT_EQ(r.report["scenario"], "script");
  EXPECT_EQ(r.report["script"]["scale"], 3);
  EXPECT_EQ(Int(r.report["connections"], "ready"), 15);
  EXPECT_EQ(Int(r.report["messages"], "missing"), 0);
  EXPECT_EQ(Int(r.report["latency_us"], "count"), 15 * 140 + 15 * 14);
  EXPECT_FALSE(r.report["histograms"]["steps"]["speak"].empty());
  // Every step entry has exactly the keys the published schema lists.
  std::ifstream in(std::string(CABLE_SOURCE_DIR) + "/docs/bench.schema.json");
  const auto schema = nlohmann::json::parse(in);
  const auto& required = schema["$defs"]["step"]["required"];
  for (auto it = steps.begin(); it != steps.end(); ++it) {
    EXPECT_EQ(it->size(), required.size()) << it.key() << ": " << it->dump();
    for (const auto& k : required) EXPECT_TRUE(it->contains(k)) << it.key() << " lacks " << k;
  }
  for (const auto& k : schema["$defs"]["percentiles"]["required"])
    EXPECT_TRUE(speak["latency_us"].contains(k)) << k;
  EXPECT_EQ(schema["properties"]["scenario"]["enum"].back(), "script");
  for (const auto& k : schema["properties"]["script"]["required"])
    EXPECT_TRUE(r.report["script"].contains(k)) << k;
}

TEST(BenchScriptRun, TurboViewersGetEveryPublishedAction) {
  CableServer server(Demo({"--turbo_streams", "--streams_secret", "s3cret"}));
  auto r = RunBench({"run", Scenario("turbo.yml"), "--scale", "2", "--url", WsUrl(server.port()),
                     "--broadcast-url", BroadcastUrl(server.broadcast_port()), "--streams-secret",
                     "s3cret"});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  const auto& append = r.report["steps"]["append"];
  EXPECT_EQ(Int(append, "sent"), 50);
  EXPECT_EQ(Int(append, "listeners"), 20);
  EXPECT_EQ(Int(append, "received"), 1000);
  EXPECT_EQ(Int(append, "missing"), 0);
  EXPECT_EQ(Int(append["latency_us"], "count"), 1000);
  EXPECT_EQ(Int(r.report["steps"]["subscribe"], "ok"), 20);
  // The publisher opens no connection.
  EXPECT_EQ(Int(r.report["connections"], "target"), 20);
}

TEST(BenchScriptRun, PerStepThresholdsPassAndFail) {
  CableServer server(Demo());
  const std::vector<std::string> base = {"run", Scenario("chat.yml"), "--url",
                                         WsUrl(server.port())};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return RunBench(args);
  };
  auto met = with({"--threshold", "steps.speak.latency.p99<60s", "--threshold",
                   "steps.speak.missing==0", "--threshold", "steps.join.ok>=5"});
  ASSERT_EQ(met.exit_code, 0) << Dump(met);
  const auto& t = met.report["thresholds"];
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0]["metric"], "steps.speak.latency_us.p99");
  EXPECT_EQ(t[0]["value"], met.report["steps"]["speak"]["latency_us"]["p99"]);
  for (const auto& e : t) EXPECT_TRUE(e["ok"].get<bool>()) << e.dump();

  auto violated = with({"--threshold", "steps.speak.latency.p50<1us"});
  ASSERT_EQ(violated.exit_code, 1) << Dump(violated);
  EXPECT_EQ(violated.report["steps"]["speak"]["missing"], 0);
  EXPECT_FALSE(violated.report["thresholds"][0]["ok"].get<bool>());

  // A step the script does not name is refused before the run: nothing
  // listens on port 1, so a run would have reported failed connects.
  auto unknown = RunBench({"run", Scenario("chat.yml"), "--url", WsUrl(1), "--threshold",
                           "steps.speek.latency.p99<50ms"});
  EXPECT_EQ(unknown.exit_code, 2) << Dump(unknown);
  EXPECT_TRUE(unknown.report.is_null());
  EXPECT_NE(unknown.err.find("no step named 'speek' (did you mean \"speak\"?)"), std::string::npos)
      << unknown.err;
}

// Listeners in another room hear nothing of what the speakers say: every
// expected receipt is a miss, and the run fails.
TEST(BenchScriptRun, ReceiptsThatNeverComeAreMissing) {
  CableServer server(Demo());
  const std::string file = WriteScenario("lost.yml", R"(
timeout: 500ms
clients:
  - name: speakers
    count: 2
    steps:
      - connect: {query: {user: "{{client}}"}}
      - subscribe: {channel: ChatChannel, params: {room: "a-{{run}}"}}
      - wait_all
      - loop:
          count: 3
          steps:
            - perform: {name: speak, channel: ChatChannel, params: {room: "a-{{run}}"}, action: speak, data: {text: "{{stamp}}"}}
  - name: listeners
    count: 3
    steps:
      - connect: {query: {user: "{{client}}"}}
      - subscribe: {channel: ChatChannel, params: {room: "b-{{run}}"}}
      - wait_all
      - receive: {name: "speak → heard elsewhere", channel: ChatChannel, params: {room: "b-{{run}}"}, message: {text: !string}}
)");
  auto r = RunBench({"run", file, "--url", WsUrl(server.port())});
  ASSERT_EQ(r.exit_code, 1) << Dump(r);
  const auto& speak = r.report["steps"]["speak"];
  EXPECT_EQ(Int(speak, "sent"), 6);
  EXPECT_EQ(Int(speak, "listeners"), 3);
  EXPECT_EQ(Int(speak, "expected"), 18);
  EXPECT_EQ(Int(speak, "received"), 0);
  EXPECT_EQ(Int(speak, "missing"), 18);
  ASSERT_FALSE(r.report["problems"].empty());
  EXPECT_NE(r.report["problems"][0].get<std::string>().find("18 of 18 expected receipts missing"),
            std::string::npos)
      << r.report["problems"].dump();
}

// A measured receive whose pattern does not fit what arrives fails the
// run, though the stamp still counts the receipt.
TEST(BenchScriptRun, ReceiptsOfTheWrongShapeFailTheRun) {
  CableServer server(Demo());
  const std::string file = WriteScenario("shape.yml", R"(
clients:
  - name: chatters
    count: 2
    steps:
      - connect: {query: {user: "{{client}}"}}
      - subscribe: {channel: ChatChannel, params: {room: "{{run}}"}}
      - wait_all
      - perform: {name: speak, channel: ChatChannel, params: {room: "{{run}}"}, action: speak, data: {text: "{{stamp}}"}}
      - receive: {name: "speak → heard", channel: ChatChannel, params: {room: "{{run}}"}, message: {user: !int}}
)");
  auto r = RunBench({"run", file, "--url", WsUrl(server.port())});
  ASSERT_EQ(r.exit_code, 1) << Dump(r);
  const auto& speak = r.report["steps"]["speak"];
  EXPECT_EQ(Int(speak, "received"), 2);
  EXPECT_EQ(Int(speak, "missing"), 0);
  EXPECT_EQ(Int(speak, "mismatched"), 2);
}

TEST(BenchScriptRun, ABrokenFileIsRefusedBeforeAnythingConnects) {
  const std::string file = WriteScenario("broken.yml", R"(clients:
  - name: a
    steps:
      - connect
      - perfrom: {channel: C}
)");
  auto r = RunBench({"run", file, "--url", WsUrl(1)});
  EXPECT_EQ(r.exit_code, 2) << Dump(r);
  EXPECT_TRUE(r.report.is_null());
  EXPECT_NE(r.err.find(file + ":5:9: unknown step \"perfrom\" (did you mean \"perform\"?)"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace cable::testing
