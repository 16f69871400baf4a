// The runner itself: mistakes reported before anything runs, scenarios that
// fail when the behaviour they name is broken, skips, report formats, and
// no process left behind (after a run and after SIGINT).

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "conformance_helpers.h"
#include "support/temp_dir.h"

namespace cable::testing {
namespace {

bool Exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

TEST(ConformanceRunner, MistakesAreReportedBeforeAnythingRuns) {
  TempDir dir;
  dir.Write("good.yml", "name: fine\nbackend: anyt\nsteps: [connect]\n");
  dir.Write("step.yml", "name: s\nsteps:\n  - connect\n  - recieve: {type: welcome}\n");
  dir.Write("yaml.yml", "name: s\nsteps: [connect\n");
  dir.Write("match.yml", "name: s\nsteps:\n  - connect\n  - receive: {message: !integer}\n");
  const std::string marker = dir.path() + "/started";
  RunResult r = Conformance({dir.path(), "--command", "/usr/bin/touch " + marker});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("step.yml:4:5: unknown step \"recieve\" (did you mean \"receive\"?); "
                       "expected one of connect"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("yaml.yml:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad YAML"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("match.yml:4:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown match tag !integer; expected !any"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("3 scenario files have errors; nothing was run"), std::string::npos);
  EXPECT_FALSE(Exists(marker)) << "the command was started despite broken scenarios";
}

TEST(ConformanceRunner, BrokenHeadersBreakTheHeadersScenario) {
  // Without x-api-token in --headers the backend never sees the header.
  RunResult r = Conformance({Scenarios("/anyt/request_connection.yml"), "--command",
                             ServeCommand("", "cookie"), "--secret", kSecret});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(LastLine(r.out), "4 passed, 1 failed, 0 skipped") << r.out;
  EXPECT_NE(r.out.find("FAIL  Accepts when required header is set"), std::string::npos) << r.out;
  // The failure shows what was expected and what came instead.
  EXPECT_NE(r.out.find("expected: {\"type\":\"welcome\",...}"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("received: {\"type\":\"disconnect\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("last frames of client:"), std::string::npos) << r.out;
}

TEST(ConformanceRunner, SlowPingsBreakThePingScenario) {
  RunResult r = Conformance({Scenarios("/anyt/core_ping.yml"), "--command",
                             ServeCommand("--ping_interval 10"), "--secret", kSecret});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(LastLine(r.out), "0 passed, 1 failed, 0 skipped") << r.out;
  EXPECT_NE(r.out.find("timed out waiting for a frame"), std::string::npos) << r.out;
}

TEST(ConformanceRunner, AWrongBroadcastKeyBreaksBroadcastScenarios) {
  RunResult r = Conformance({Scenarios("/anyt/streams_single.yml"), "--command", ServeCommand(),
                             "--secret", kSecret, "--broadcast-key", "not-the-key"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(LastLine(r.out), "0 passed, 3 failed, 0 skipped") << r.out;
  EXPECT_NE(r.out.find("cannot publish via http"), std::string::npos) << r.out;
}

TEST(ConformanceRunner, NoDisconnectCallsBreakTheUnsubscribeCallbackScenarios) {
  RunResult r = Conformance({Scenarios("/anyt/request_disconnection.yml"), "--command",
                             ServeCommand("--disconnect_mode never"), "--secret", kSecret});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(LastLine(r.out), "0 passed, 2 failed, 0 skipped") << r.out;
}

TEST(ConformanceRunner, UnclaimedFeaturesAndMissingCommandAreSkips) {
  RunResult r = Conformance({Scenarios("/anyt"), "--only", "core_ping,server_restart",
                             "--target-url", "ws://127.0.0.1:1/cable", "--features", "rpc"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(LastLine(r.out), "0 passed, 0 failed, 2 skipped") << r.out;
  EXPECT_NE(r.out.find("target does not claim ping"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("target does not claim server_restart"), std::string::npos) << r.out;

  r = Conformance(
      {Scenarios("/anyt/features_server_restart.yml"), "--target-url", "ws://127.0.0.1:1/cable"});
  EXPECT_EQ(LastLine(r.out), "0 passed, 0 failed, 1 skipped") << r.out;
  EXPECT_NE(r.out.find("restarts the server: needs --command"), std::string::npos) << r.out;
}

TEST(ConformanceRunner, JsonAndJunitReports) {
  TempDir dir;
  RunResult r = Conformance({Scenarios("/anyt/subscriptions_ack.yml"), "--command", ServeCommand(),
                             "--secret", kSecret, "--format", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report["summary"]["passed"], 2);
  EXPECT_EQ(report["scenarios"][0]["status"], "passed");
  EXPECT_EQ(report["scenarios"][0]["feature"], "Subscriptions: acknowledgement");
  EXPECT_EQ(LastLine(r.err), "2 passed, 0 failed, 0 skipped");

  const std::string xml_path = dir.path() + "/junit.xml";
  r = Conformance({Scenarios("/anyt/core_welcome.yml"), "--command", ServeCommand(), "--secret",
                   kSecret, "--format", "junit", "--output", xml_path});
  EXPECT_EQ(r.exit_code, 0);
  std::ifstream in(xml_path);
  std::stringstream xml;
  xml << in.rdbuf();
  EXPECT_NE(xml.str().find("<testsuite name=\"Core: welcome\" tests=\"1\" failures=\"0\""),
            std::string::npos)
      << xml.str();
  EXPECT_EQ(LastLine(r.out), "1 passed, 0 failed, 0 skipped");
}

TEST(ConformanceRunner, NoProcessIsLeftAfterARun) {
  const std::string mark = RandomMark();
  SpawnOptions o;
  o.env["CABLE_TEST_MARK"] = mark;
  RunResult r = Conformance({Scenarios("/anyt/features_server_restart.yml"), "--command",
                             ServeCommand(), "--secret", kSecret, "--jobs", "2"},
                            o);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(ProcessesWithMark(mark).empty());
}

TEST(ConformanceRunner, NoProcessIsLeftAfterSigint) {
  TempDir dir;
  dir.Write("waits.yml", "name: waits\nbackend: anyt\nsteps: [connect, {sleep: 60s}]\n");
  const std::string mark = RandomMark();
  SpawnOptions o;
  o.env["CABLE_TEST_MARK"] = mark;
  ChildProcess runner({CableBinary(), "conformance", dir.path(), "--command", ServeCommand(),
                       "--secret", kSecret, "--jobs", "2"},
                      o);
  // The runner, cable rpc and cable serve.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (ProcessesWithMark(mark).size() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(ProcessesWithMark(mark).size(), 3u);
  runner.Signal(SIGINT);
  auto code = runner.Wait(std::chrono::seconds(15));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 130);
  EXPECT_NE(runner.Stderr().find("interrupted"), std::string::npos);
  EXPECT_TRUE(ProcessesWithMark(mark).empty());
}

}  // namespace
}  // namespace cable::testing
