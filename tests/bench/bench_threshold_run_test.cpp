// --threshold on a real run against `cable serve`: a met threshold keeps exit
// 0, a violated one turns a clean run into exit 1, and a bad expression is
// refused with exit 2 before any client connects.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "bench_support.h"
#include "support/cable_server.h"

namespace cable::testing {
namespace {

std::vector<std::string> SmallRun(const CableServer& server, std::vector<std::string> extra) {
  std::vector<std::string> args = {"broadcast",       WsUrl(server.port()),
                                   "--clients",       "20",
                                   "--count",         "5",
                                   "--rate",          "50",
                                   "--settle",        "0.1",
                                   "--broadcast-url", BroadcastUrl(server.broadcast_port())};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(BenchThresholdRun, MetThresholdsKeepTheRunGreen) {
  CableServer server(Benchmark());
  auto r = RunBench(SmallRun(server, {"--threshold", "connections.ready>=20", "--threshold",
                                      "missing==0", "--threshold", "latency.p99<60s"}));
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  const auto& t = r.report["thresholds"];
  ASSERT_EQ(t.size(), 3u);
  for (const auto& e : t) EXPECT_TRUE(e["ok"].get<bool>()) << e.dump();
  EXPECT_EQ(t[1]["metric"], "messages.missing");
  EXPECT_EQ(t[2]["metric"], "latency_us.p99");
  EXPECT_DOUBLE_EQ(t[2]["limit"].get<double>(), 60e6);
  EXPECT_EQ(t[2]["value"], r.report["latency_us"]["p99"]);
  EXPECT_TRUE(r.report["ok"].get<bool>());
}

TEST(BenchThresholdRun, AViolatedThresholdFailsAnOtherwiseCleanRun) {
  CableServer server(Benchmark());
  const std::string junit = ::testing::TempDir() + "bench_thresholds.xml";
  const std::string html = ::testing::TempDir() + "bench_thresholds.html";
  auto r = RunBench(SmallRun(server, {"--threshold", "connections.ready>=20", "--threshold",
                                      "connections.ready>20", "--junit", junit, "--report", html}));
  ASSERT_EQ(r.exit_code, 1) << Dump(r);
  // Nothing but the threshold went wrong.
  EXPECT_EQ(r.report["messages"]["missing"], 0);
  EXPECT_EQ(r.report["connections"]["failed"], 0);
  EXPECT_FALSE(r.report["ok"].get<bool>());
  EXPECT_EQ(r.report["exit_code"], 1);
  ASSERT_EQ(r.report["problems"].size(), 1u) << r.report["problems"].dump();
  EXPECT_NE(r.report["problems"][0].get<std::string>().find("connections.ready>20"),
            std::string::npos);
  EXPECT_TRUE(r.report["thresholds"][0]["ok"].get<bool>());
  EXPECT_FALSE(r.report["thresholds"][1]["ok"].get<bool>());
  EXPECT_EQ(r.report["thresholds"][1]["value"], 20);

  std::ifstream in(junit);
  std::stringstream xml;
  xml << in.rdbuf();
  EXPECT_NE(xml.str().find("tests=\"2\" failures=\"1\""), std::string::npos) << xml.str();
  EXPECT_NE(xml.str().find("name=\"connections.ready&gt;20\">"), std::string::npos) << xml.str();

  std::ifstream page_in(html);
  std::stringstream page;
  page << page_in.rdbuf();
  EXPECT_NE(page.str().find("<tr><th>connections.ready&gt;20</th><td>20</td><td>FAIL</td></tr>"),
            std::string::npos);
}

TEST(BenchThresholdRun, ABadExpressionIsRefusedBeforeAnythingConnects) {
  // Nothing listens on the target: a run would report refused connects
  // (exit 1); exit 2 and no report show that none was attempted.
  auto r = RunBench({"broadcast", WsUrl(1), "--clients", "5", "--threshold", "latncy.p99<50ms"});
  EXPECT_EQ(r.exit_code, 2) << Dump(r);
  EXPECT_TRUE(r.report.is_null()) << Dump(r);
  EXPECT_NE(r.err.find("did you mean 'latency_us.p99'"), std::string::npos) << r.err;

  auto unit = RunBench({"broadcast", WsUrl(1), "--threshold", "missing<5ms"});
  EXPECT_EQ(unit.exit_code, 2) << Dump(unit);
  EXPECT_NE(unit.err.find("does not fit messages.missing"), std::string::npos) << unit.err;
}

}  // namespace
}  // namespace cable::testing
