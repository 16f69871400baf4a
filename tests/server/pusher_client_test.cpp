// The Pusher protocol end to end with the real Pusher libraries under Node:
// pusher-js connects to `cable serve` at /app/<key> and subscribes to a
// public, a private and a presence channel, with authorizations signed by
// the `pusher` server SDK; a broadcast through cable's HTTP broadcast and an
// event triggered through the signed REST API both arrive; a second client
// joins the presence channel, sends a client event and leaves; the SDK
// lists the channel's users; an authorization signed with the wrong secret
// is refused. tests/node/pusher.mjs does the client side and prints a
// summary that is checked here. Skipped (with the reason printed) when
// node/npm are missing or the packages cannot be installed, e.g. offline.

#include <gtest/gtest.h>

#include <chrono>

#include "server/node_script_test.h"

namespace cable::testing {
namespace {

constexpr const char* kAppId = "cable-app";
constexpr const char* kAppKey = "cable-key";
constexpr const char* kSecret = "pusher-secret";
constexpr int kScriptTimeoutS = 30;

class PusherClientTest : public NodeScriptTest {};

TEST_F(PusherClientTest, PusherJsAndTheServerSdkTalkToCable) {
  ServeOptions options;
  options.backend.clear();
  options.args = {"--norpc", "--pusher_app_id", kAppId,  "--pusher_app_key",
                  kAppKey,   "--pusher_secret", kSecret, "--broker",
                  "memory",  "--log_level",     "debug"};
  CableServer server(options);
  Json s = RunNodeScript(
      {"node", SourcePath("tests/node/pusher.mjs"), "--port", std::to_string(server.port()),
       "--broadcast-port", std::to_string(server.broadcast_port()), "--app-id", kAppId, "--key",
       kAppKey, "--secret", kSecret, "--timeout", std::to_string(kScriptTimeoutS)},
      std::chrono::seconds(kScriptTimeoutS), {&server});
  ASSERT_TRUE(s.is_object());
  ASSERT_EQ(s["outcome"], "done") << "stuck at step " << s.value("step", "?");
  const Json& got = s["received"];

  // The presence subscription listed alice as herself.
  EXPECT_EQ(s["alice_members"], Json({{"count", 1}, {"me", "alice"}}));
  // Both ways of publishing arrived, with their data decoded by pusher-js.
  EXPECT_EQ(s["broadcast_status"], 201);
  EXPECT_EQ(got["headline"], Json({{"title", "Hello from cable"}}));
  EXPECT_EQ(s["trigger_status"], 200);
  EXPECT_EQ(got["update"], Json({{"n", 1}}));
  // Bob saw both members; alice saw him come and go.
  EXPECT_EQ(s["bob_members"], Json({{"count", 2}, {"ids", {"alice", "bob"}}}));
  EXPECT_EQ(got["member_added"], Json({{"id", "bob"}, {"info", {{"name", "Bob"}}}}));
  EXPECT_EQ(got["member_removed"]["id"], "bob");
  EXPECT_EQ(got["client_event"], Json({{"who", "bob"}}));
  EXPECT_EQ(s["users_status"], 200);
  EXPECT_EQ(s["users"], Json::parse(R"({"users":[{"id":"alice"},{"id":"bob"}]})"));
  EXPECT_EQ(got["forged"], Json({{"message", "rejected"}, {"code", 4009}}));
}

}  // namespace
}  // namespace cable::testing
