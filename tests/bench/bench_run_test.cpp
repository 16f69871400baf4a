// `cable bench` against the real `cable serve` (BenchmarkChannel from the
// in-process benchmark backend): small runs must count exactly.

#include <gtest/gtest.h>

#include "bench_support.h"
#include "cable/build_info.h"
#include "support/cable_server.h"

namespace cable::testing {
namespace {

TEST(BenchRun, BroadcastOverHttpDeliversEveryMessageOnce) {
  CableServer server(Benchmark());
  auto r = RunBench({"broadcast", WsUrl(server.port()), "--clients", "200", "--count", "20",
                     "--rate", "50", "--broadcast-url", BroadcastUrl(server.broadcast_port()),
                     "--settle", "0.2", "--server-pid", std::to_string(server.process().pid())});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  const auto& j = r.report;
  EXPECT_EQ(j["connections"]["ready"], 200);
  EXPECT_EQ(j["connections"]["failed"], 0);
  EXPECT_EQ(j["messages"]["published"], 20);
  EXPECT_EQ(j["messages"]["expected"], 4000);
  EXPECT_EQ(j["messages"]["unique"], 4000);
  EXPECT_EQ(j["messages"]["received"], 4000);
  EXPECT_EQ(j["messages"]["missing"], 0);
  EXPECT_EQ(j["messages"]["duplicates"], 0);
  EXPECT_EQ(j["latency_us"]["count"], 4000);
  EXPECT_GT(j["latency_us"]["p50"].get<double>(), 0);
  EXPECT_LE(j["latency_us"]["p50"].get<double>(), j["latency_us"]["p99"].get<double>());
  EXPECT_GT(j["server"]["connected"]["rss_kb"].get<int64_t>(), 0);
  EXPECT_TRUE(j["ok"].get<bool>());
  EXPECT_EQ(j["tool"]["version"], build::kVersion) << "the report names the build's version";
}

TEST(BenchRun, BroadcastBurstAcrossStreams) {
  CableServer server(Benchmark());
  auto r = RunBench({"broadcast", WsUrl(server.port()), "--clients", "200", "--streams", "4",
                     "--burst", "20", "--bursts", "2", "--burst-interval", "0.2", "--broadcast-url",
                     BroadcastUrl(server.broadcast_port()), "--settle", "0.2"});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  const auto& j = r.report;
  EXPECT_EQ(j["messages"]["published"], 40);
  // Each stream has 50 subscribers and gets 10 of the 40 messages.
  EXPECT_EQ(j["messages"]["expected"], 2000);
  EXPECT_EQ(j["messages"]["unique"], 2000);
  EXPECT_EQ(j["messages"]["missing"], 0);
}

TEST(BenchRun, BroadcastThroughPerformReportsAcks) {
  CableServer server(Benchmark());
  auto r = RunBench({"broadcast", WsUrl(server.port()), "--clients", "200", "--publish", "perform",
                     "--count", "10", "--rate", "20", "--settle", "0.2"});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  const auto& j = r.report;
  EXPECT_EQ(j["messages"]["published"], 10);
  EXPECT_EQ(j["messages"]["unique"], 2000);
  EXPECT_EQ(j["messages"]["acks"], 10);
  EXPECT_EQ(j["ack_latency_us"]["count"], 10);
}

TEST(BenchRun, EchoOpenAndClosedLoop) {
  CableServer server(Benchmark());
  auto open = RunBench({"echo", WsUrl(server.port()), "--clients", "200", "--rate", "1000",
                        "--count", "400", "--settle", "0.1"});
  ASSERT_EQ(open.exit_code, 0) << Dump(open);
  EXPECT_EQ(open.report["messages"]["published"], 400);
  EXPECT_EQ(open.report["messages"]["unique"], 400);
  EXPECT_EQ(open.report["latency_us"]["count"], 400);

  auto closed = RunBench({"echo", WsUrl(server.port()), "--clients", "50", "--concurrent", "10",
                          "--count", "300", "--settle", "0.1"});
  ASSERT_EQ(closed.exit_code, 0) << Dump(closed);
  EXPECT_EQ(closed.report["messages"]["unique"], 300);
}

TEST(BenchRun, ConnectAndHold) {
  CableServer server(Benchmark());
  auto r = RunBench({"connect", WsUrl(server.port()), "--clients", "200", "--connect-rate", "2000",
                     "--hold", "0.5", "--server-pid", std::to_string(server.process().pid())});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  const auto& j = r.report;
  EXPECT_EQ(j["connections"]["ready"], 200);
  EXPECT_EQ(j["connections"]["welcome_us"]["count"], 200);
  EXPECT_EQ(j["connections"]["ready_us"]["count"], 200);
  EXPECT_EQ(j["latency_us"]["count"], 200);
  EXPECT_TRUE(j["server"].contains("rss_per_connection_bytes"));

  auto welcome_only =
      RunBench({"connect", WsUrl(server.port()), "--clients", "50", "--no-subscribe"});
  ASSERT_EQ(welcome_only.exit_code, 0) << Dump(welcome_only);
  EXPECT_EQ(welcome_only.report["connections"]["ready"], 50);
}

TEST(BenchRun, RefusedConnectionsAreCountedByReason) {
  int port = FreePort();  // nothing listens here
  auto r = RunBench({"connect", WsUrl(port), "--clients", "20"});
  EXPECT_EQ(r.exit_code, 1) << Dump(r);
  EXPECT_EQ(r.report["connections"]["failed"], 20);
  EXPECT_EQ(r.report["connections"]["failures"]["refused"], 20);
  EXPECT_FALSE(r.report["ok"].get<bool>());
}

TEST(BenchRun, BadFlagsExitTwo) {
  EXPECT_EQ(RunBench({"broadcast", "--clients", "0"}).exit_code, 2);
  EXPECT_EQ(RunBench({"nonsense"}).exit_code, 2);
  EXPECT_EQ(RunBench({"broadcast", "--burst", "5", "--rate", "3"}).exit_code, 2);
  EXPECT_EQ(RunBench({"broadcast", "--url", "wsx://x/cable"}).exit_code, 2);
  EXPECT_EQ(RunBench({"echo", "--stream-type", "public"}).exit_code, 2);
  EXPECT_EQ(RunBench({"broadcast", "--duration", "ten"}).exit_code, 2);
  // Without a scenario bench runs broadcast, with its checks.
  EXPECT_EQ(RunBench({"--burst", "5", "--rate", "3"}).exit_code, 2);
}

TEST(BenchRun, RefusesRunsBeyondTheFileLimit) {
  auto r = RunBench({"connect", WsUrl(FreePort()), "--clients", "5000000"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("file descriptors"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cable::testing
