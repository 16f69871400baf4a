// Reliable streams end to end with the real AnyCable client, @anycable/web
// (under Node, with `ws` as its WebSocket), on actioncable-v1-ext-json: its
// TCP connection is reset while 1,000 broadcasts are being posted, it
// reconnects on its own with the session id, is restored and asks for what
// it missed. After de-duplication by stream position (as applications do),
// every broadcast must have arrived exactly once:
//   - one node with the memory broker, the client coming back to it;
//   - two nodes sharing a Redis broker, the client coming back to the other.
// tests/node/reliable.mjs does the client side (and the proxy that cuts the
// connection) and prints a summary that is checked here. Skipped (with the
// reason printed) when node/npm are missing or the packages cannot be
// installed, e.g. offline.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>

#include "server/node_script_test.h"
#include "support/redis_server.h"

namespace cable::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kBroadcasts = 1000;
constexpr int kCutAfter = 200;
// The script's own deadline; the test waits a little longer for its summary.
constexpr int kScriptTimeoutS = 60;

// A node without RPC or authentication: the client subscribes to a public
// stream ($pubsub) and broadcasts need no key. History must reach back
// past everything posted during the outage, whatever its length.
std::unique_ptr<CableServer> StartNode(std::vector<std::string> broker_args) {
  ServeOptions options;
  options.backend.clear();
  options.args = {"--norpc",     "--public", "--history_limit", std::to_string(2 * kBroadcasts),
                  "--log_level", "debug"};
  options.args.insert(options.args.end(), broker_args.begin(), broker_args.end());
  return std::make_unique<CableServer>(options);
}

std::string JoinPorts(const std::vector<int>& ports) {
  std::string out;
  for (int p : ports) out += (out.empty() ? "" : ",") + std::to_string(p);
  return out;
}

class ReliableClientTest : public NodeScriptTest {
 protected:
  // Runs reliable.mjs against `nodes` (the client starts on the first and
  // comes back to the second, if any); broadcasts are posted to every node
  // in turn, each once the previous one was answered, as one publisher
  // behind a load balancer would. The parsed summary, or a test failure.
  Json RunScript(const std::vector<CableServer*>& nodes, const std::string& stream) {
    std::vector<int> ws_ports, broadcast_ports;
    for (auto* n : nodes) {
      ws_ports.push_back(n->port());
      broadcast_ports.push_back(n->broadcast_port());
    }
    Json summary = RunNodeScript(
        {"node", SourcePath("tests/node/reliable.mjs"), "--ws", JoinPorts(ws_ports), "--broadcast",
         JoinPorts(broadcast_ports), "--stream", stream, "--count", std::to_string(kBroadcasts),
         "--cut-after", std::to_string(kCutAfter), "--timeout", std::to_string(kScriptTimeoutS)},
        std::chrono::seconds(kScriptTimeoutS), nodes);
    if (summary.is_null()) return summary;
    // Shown in the test log either way: how the run went, in numbers.
    std::cout << "[ summary  ] sent " << summary.value("sent", 0) << ", received "
              << summary.value("received", 0) << ", unique " << summary.value("unique", 0)
              << ", duplicates " << summary.value("duplicates", 0) << ", overtaken "
              << summary.value("overtaken", 0) << ", missing " << summary.value("missing_count", -1)
              << ", sent while disconnected " << summary.value("sent_while_disconnected", 0)
              << ", restored " << summary.value("restored", false) << ", "
              << summary.value("elapsed_ms", 0) << " ms\n";
    return summary;
  }

  // What every run must show, whatever the broker.
  // (A copy: a key the summary lacks reads as null instead of undefined.)
  void ExpectEveryBroadcastExactlyOnce(Json s, const std::string& stream) {
    ASSERT_TRUE(s.is_object());
    EXPECT_EQ(s["outcome"], "done");
    EXPECT_EQ(s["sent"], kBroadcasts);
    // The cut really happened mid-stream, on a live connection: the server
    // wrote messages that never arrived, and more were posted while the
    // client was away. Those could only come back from history.
    EXPECT_EQ(s["cut"]["resets"], 1);
    EXPECT_GE(s["cut"].value("at_received", 0), kCutAfter);
    EXPECT_LT(s["cut"].value("reset_at_sent", kBroadcasts), kBroadcasts);
    EXPECT_GT(s["cut"].value("dropped_bytes_from_server", 0), 0);
    EXPECT_GT(s.value("sent_while_disconnected", 0), 0);
    // Every message carried a position, in one epoch, and none was
    // renumbered or reused.
    EXPECT_EQ(s["without_position"], 0);
    EXPECT_EQ(s["epochs"].size(), 1u);
    EXPECT_EQ(s["conflict_count"], 0);
    // In order: outside the restore (where replayed and live messages
    // interleave by design) no message arrived after a later one. The
    // client keeps only the last position it saw, so a message overtaken
    // and then cut off is never asked for again.
    EXPECT_EQ(s["overtaken"], 0);
    // Exactly once after de-duplication: 1,000 positions, 1,000 payloads.
    EXPECT_EQ(s["unique"], kBroadcasts);
    EXPECT_EQ(s["distinct_n"], kBroadcasts);
    EXPECT_EQ(s["missing_count"], 0);
    // Restored, not re-authenticated and re-subscribed: the second welcome
    // says so and names the subscription, which the client then takes as
    // still subscribed and asks history for, from its last position.
    const std::string identifier = Json{{"channel", "$pubsub"}, {"stream_name", stream}}.dump();
    EXPECT_EQ(s["restored"], true);
    ASSERT_EQ(s["welcomes"].size(), 2u);
    EXPECT_FALSE(s["welcomes"][0].value("restored", false));
    EXPECT_EQ(s["welcomes"][1].value("restored", false), true);
    EXPECT_EQ(s["welcomes"][1].value("restored_ids", Json::array()), Json::array({identifier}));
    EXPECT_NE(s["welcomes"][0].value("sid", ""), s["welcomes"][1].value("sid", ""));
    ASSERT_EQ(s["channel_connects"].size(), 2u);
    EXPECT_EQ(s["channel_connects"][1].value("restored", false), true);
    ASSERT_EQ(s["history_requests"].size(), 1u);
    EXPECT_TRUE(s["history_requests"][0]["streams"].contains(stream));
    ASSERT_FALSE(s["history_replies"].empty());
    EXPECT_EQ(s["history_replies"].back(), "confirm_history");
    EXPECT_TRUE(s["disconnects"].empty());
  }
};

TEST_F(ReliableClientTest, MemoryBrokerCatchesUpAfterTheConnectionIsCut) {
  auto node = StartNode({"--broker", "memory"});
  const std::string stream = "reliable-memory";
  Json s = RunScript({node.get()}, stream);
  ExpectEveryBroadcastExactlyOnce(s, stream);
  if (HasFatalFailure() || !s.is_object()) return;
  EXPECT_EQ(s["upstreams"], Json::array({node->port(), node->port()}));
}

TEST_F(ReliableClientTest, RedisBrokerCatchesUpOnTheOtherNode) {
  if (!RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
  RedisServer redis;
  auto a = StartNode({"--broker", "redis", "--redis_url", redis.url()});
  auto b = StartNode({"--broker", "redis", "--redis_url", redis.url()});
  const std::string stream = "reliable-redis";
  Json s = RunScript({a.get(), b.get()}, stream);
  ExpectEveryBroadcastExactlyOnce(s, stream);
  if (HasFatalFailure() || !s.is_object()) return;
  // Came back through the other node, where the session and the history
  // could only have come from Redis.
  EXPECT_EQ(s["upstreams"], Json::array({a->port(), b->port()}));
}

}  // namespace
}  // namespace cable::testing
