// The first run a new user makes: ./scripts/run, then `cable bench` with no
// scenario and no URL parameters. The server is started with the flags
// scripts/run itself uses (read from the script, so the two cannot drift).

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "bench/options.h"
#include "bench_support.h"
#include "support/cable_client.h"
#include "support/cable_server.h"

namespace cable::testing {
namespace {

// The `cable serve` flags on scripts/run's exec line, before "$@".
std::vector<std::string> ScriptsRunServeFlags() {
  std::ifstream in(std::string(CABLE_SOURCE_DIR) + "/scripts/run");
  std::string line;
  while (std::getline(in, line)) {
    const std::string marker = "/bin/cable\" serve ";
    size_t at = line.find(marker);
    if (line.rfind("exec ", 0) != 0 || at == std::string::npos) continue;
    std::istringstream words(line.substr(at + marker.size()));
    std::vector<std::string> flags;
    for (std::string w; words >> w && w != "\"$@\"";) flags.push_back(w);
    return flags;
  }
  return {};
}

TEST(BenchFirstRun, DefaultScenarioAndUrlWorkAgainstTheServerScriptsRunStarts) {
  ServeOptions serve;
  serve.backend = "";  // scripts/run names its own
  serve.args = ScriptsRunServeFlags();
  ASSERT_FALSE(serve.args.empty()) << "no `exec .../bin/cable\" serve ...` line in scripts/run";
  CableServer server(serve);

  // Bench's default URL, moved to the port this test's server listens on.
  std::string url = bench::kDefaultUrl;
  const std::string port = ":8080/";
  ASSERT_NE(url.find(port), std::string::npos) << url;
  url.replace(url.find(port), port.size(), ":" + std::to_string(server.port()) + "/");

  auto r = RunBench({"--url", url, "--clients", "50", "--duration", "0.5s", "--settle", "0.1",
                     "--broadcast-url", BroadcastUrl(server.broadcast_port())});
  ASSERT_EQ(r.exit_code, 0) << "exit " << r.exit_code << "\nstderr: " << r.err
                            << "\nstdout: " << r.out.substr(0, 3000);
  EXPECT_EQ(r.report["scenario"], "broadcast");
  EXPECT_EQ(r.report["connections"]["ready"], 50);
  EXPECT_GT(r.report["messages"]["unique"].get<int64_t>(), 0);
  EXPECT_EQ(r.report["messages"]["missing"], 0);
}

TEST(BenchFirstRun, TheDemoChatStillServesItsUsersAndTurnsAwayAnonymousOnes) {
  ServeOptions serve;
  serve.backend = "";
  serve.args = ScriptsRunServeFlags();
  CableServer server(serve);
  auto alice = server.Connect("/cable?user=alice");
  ASSERT_TRUE(alice.ok()) << alice.error().message;
  EXPECT_TRUE(ReceivesMessage(*alice, {{"type", "welcome"}}));
  const Json room = {{"channel", "ChatChannel"}, {"room", "lobby"}};
  ASSERT_TRUE(Subscribes(*alice, room.dump()));
  ASSERT_TRUE(alice
                  ->SendText(Json{{"command", "message"},
                                  {"identifier", room.dump()},
                                  {"data", Json{{"action", "speak"}, {"text", "hi"}}.dump()}}
                                 .dump())
                  .ok());
  EXPECT_TRUE(ReceivesMessage(
      *alice, {{"identifier", room.dump()}, {"message", {{"user", "alice"}, {"text", "hi"}}}}));

  auto anonymous = server.Connect("/cable");
  ASSERT_TRUE(anonymous.ok()) << anonymous.error().message;
  EXPECT_TRUE(ReceivesMessage(*anonymous, {{"type", "disconnect"}, {"reason", "unauthorized"}}));
}

}  // namespace
}  // namespace cable::testing
