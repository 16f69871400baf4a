// Stream positions and the reconnect scenario against the real
// `cable serve` (BenchmarkChannel from the in-process benchmark backend)
// with and without the memory broker.

#include <gtest/gtest.h>

#include "bench_support.h"
#include "support/cable_server.h"

namespace cable::testing {
namespace {

ServeOptions Benchmark(std::vector<std::string> args = {}) {
  ServeOptions o;
  o.backend = "benchmark";
  o.args = std::move(args);
  return o;
}

// Extended-protocol broadcast run against `server` plus `extra` flags.
BenchRun Bench(CableServer& server, std::vector<std::string> extra) {
  std::vector<std::string> args = {"broadcast",       WsUrl(server.port()),
                                   "--subprotocol",   "actioncable-v1-ext-json",
                                   "--broadcast-url", BroadcastUrl(server.broadcast_port()),
                                   "--settle",        "0.2"};
  args.insert(args.end(), extra.begin(), extra.end());
  return RunBench(args);
}

// 2 s of publishing at 30/s; the reconnecting clients are away from 0.5 s
// to 1.1 s, so each misses about 18 messages of its stream's share.
std::vector<std::string> Reconnecting(int clients, int reconnect, int streams) {
  return {"--clients",
          std::to_string(clients),
          "--streams",
          std::to_string(streams),
          "--count",
          "60",
          "--rate",
          "30",
          "--reconnect",
          std::to_string(reconnect),
          "--reconnect-at",
          "0.5",
          "--reconnect-pause",
          "0.6"};
}

TEST(BenchReliable, MemoryBrokerPositionsAreCheckedOnEveryDelivery) {
  CableServer server(Benchmark({"--broker", "memory"}));
  auto r = Bench(server, {"--clients", "200", "--streams", "4", "--count", "40", "--rate", "100"});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  const auto& p = r.report["positions"];
  EXPECT_TRUE(p["checked"].get<bool>());
  EXPECT_EQ(p["positioned"], 2000);  // 4 streams x 50 subscribers x 10 messages
  EXPECT_EQ(p["unpositioned"], 0);
  EXPECT_EQ(p["gaps"], 0);
  EXPECT_EQ(p["duplicates"], 0);
  EXPECT_EQ(p["epoch_changes"], 0);
  EXPECT_TRUE(r.report["warnings"].dump().find("position") == std::string::npos)
      << r.report["warnings"].dump();
}

TEST(BenchReliable, WithoutABrokerPositionsAreAbsentAndSaidSoOnce) {
  CableServer server(Benchmark());
  auto r = Bench(server, {"--clients", "100", "--count", "10", "--rate", "100"});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  EXPECT_EQ(r.report["positions"]["positioned"], 0);
  EXPECT_EQ(r.report["positions"]["unpositioned"], 1000);
  int mentions = 0;
  for (const auto& w : r.report["warnings"]) {
    if (w.get<std::string>().find("no stream positions") != std::string::npos) ++mentions;
  }
  EXPECT_EQ(mentions, 1) << r.report["warnings"].dump();
}

TEST(BenchReliable, ReconnectRestoresSessionsAndReplaysTheGap) {
  CableServer server(Benchmark({"--broker", "memory"}));
  auto r = Bench(server, Reconnecting(300, 60, 3));
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  const auto& c = r.report["reconnect"];
  EXPECT_EQ(c["dropped"], 60);
  EXPECT_EQ(c["restored"], 60);
  EXPECT_EQ(c["not_restored"], 0);
  EXPECT_EQ(c["failed"], 0);
  EXPECT_EQ(c["history_confirmed"], 60);
  EXPECT_EQ(c["missed"], 0);
  EXPECT_GE(c["replayed"].get<int>(), 60 * 3) << "each was away for about 6 of its messages";
  EXPECT_EQ(c["recovered_us"]["count"], 60);
  EXPECT_EQ(c["history_us"]["count"], 60);
  EXPECT_LE(c["history_us"]["p50"].get<double>(), c["recovered_us"]["p50"].get<double>());
  const auto& m = r.report["messages"];
  EXPECT_EQ(m["expected"], 300 * 20);
  EXPECT_EQ(m["unique"], 300 * 20);
  EXPECT_EQ(m["missing"], 0);
  EXPECT_EQ(m["duplicates"], 0);
  EXPECT_EQ(r.report["positions"]["gaps"], 0);
  EXPECT_EQ(r.report["connections"]["dropped"], 0);
}

TEST(BenchReliable, ReconnectOnPublicStreams) {
  CableServer server(Benchmark({"--broker", "memory", "--public_streams"}));
  auto r = Bench(server, [] {
    auto a = Reconnecting(200, 40, 2);
    a.insert(a.end(), {"--stream-type", "public"});
    return a;
  }());
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  EXPECT_EQ(r.report["reconnect"]["restored"], 40);
  EXPECT_EQ(r.report["reconnect"]["missed"], 0);
  EXPECT_EQ(r.report["messages"]["missing"], 0);
}

TEST(BenchReliable, WithoutTheSessionCacheClientsSubscribeAgainWithHistory) {
  CableServer server(Benchmark({"--broker", "memory", "--sessions_ttl", "0"}));
  auto r = Bench(server, Reconnecting(200, 40, 2));
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  const auto& c = r.report["reconnect"];
  EXPECT_EQ(c["restored"], 0);
  EXPECT_EQ(c["not_restored"], 40);
  EXPECT_EQ(c["history_confirmed"], 40);
  EXPECT_EQ(c["missed"], 0);
  EXPECT_GT(c["replayed"].get<int>(), 0);
  EXPECT_EQ(r.report["messages"]["missing"], 0);
  EXPECT_NE(r.report["warnings"].dump().find("no session was restored"), std::string::npos);
}

TEST(BenchReliable, WithoutABrokerReconnectingClientsLoseMessages) {
  CableServer server(Benchmark());
  auto r = Bench(server, [] {
    auto a = Reconnecting(200, 40, 1);
    a.insert(a.end(), {"--wait", "1"});
    return a;
  }());
  EXPECT_EQ(r.exit_code, 1) << Dump(r);
  const auto& c = r.report["reconnect"];
  EXPECT_EQ(c["restored"], 0);
  EXPECT_EQ(c["not_restored"], 40);
  EXPECT_EQ(c["history_rejected"], 40);
  EXPECT_GE(r.report["messages"]["missing"].get<int>(), 40 * 10);
  EXPECT_FALSE(r.report["ok"].get<bool>());
}

TEST(BenchReliable, ReconnectFlagsAreChecked) {
  const std::string ext = "actioncable-v1-ext-json";
  // Session restore and history need the extended protocol.
  auto plain = RunBench({"broadcast", "--reconnect", "5"});
  EXPECT_EQ(plain.exit_code, 2);
  EXPECT_NE(plain.err.find("--subprotocol actioncable-v1-ext-json"), std::string::npos)
      << plain.err;
  auto echo = RunBench({"echo", "--subprotocol", ext, "--reconnect", "5"});
  EXPECT_EQ(echo.exit_code, 2);
  EXPECT_NE(echo.err.find("broadcast scenario only"), std::string::npos) << echo.err;
  EXPECT_EQ(RunBench({"broadcast", "--subprotocol", ext, "--clients", "10", "--reconnect", "11"})
                .exit_code,
            2);
  // perform needs one sender per stream that stays connected.
  EXPECT_EQ(RunBench({"broadcast", "--subprotocol", ext, "--clients", "10", "--streams", "2",
                      "--publish", "perform", "--reconnect", "9"})
                .exit_code,
            2);
  EXPECT_EQ(
      RunBench({"broadcast", "--subprotocol", ext, "--reconnect", "1", "--reconnect-pause", "soon"})
          .exit_code,
      2);
  EXPECT_EQ(RunBench({"broadcast", "--subprotocol", ext, "--reconnect", "1", "--reconnect-spread",
                      "later"})
                .exit_code,
            2);
}

}  // namespace
}  // namespace cable::testing
