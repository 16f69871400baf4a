// Presence end to end with the real AnyCable client, @anycable/web (under
// Node, with `ws` as its WebSocket), on actioncable-v1-ext-json: two
// clients join one public stream's presence, each sees the other's join and
// lists both with `presence.info()`; one leaves and the other sees it go;
// it joins again and then loses its TCP connection without a word, and the
// other sees its leave once the server's presence TTL has passed:
//   - one node with the memory broker;
//   - two nodes sharing one Redis as broker and pub/sub, one client on each.
// tests/node/presence.mjs does the client side (and the proxy that cuts the
// connection) and prints a summary that is checked here. Skipped (with the
// reason printed) when node/npm are missing or the packages cannot be
// installed, e.g. offline.

#include <gtest/gtest.h>

#include <chrono>

#include "server/node_script_test.h"
#include "support/redis_server.h"

namespace cable::testing {
namespace {

// Two seconds, not one: expiry may be reckoned in whole seconds, so a
// member outlives its disconnect by at least ttl - 1 s. With 2 s that is a
// full second, enough to tell a TTL that is honoured from a leave sent the
// moment the connection drops.
constexpr int kPresenceTtlS = 2;
// Time allowed past the TTL: the server sweeps expired members once a
// second.
constexpr int kSweepSlackMs = 3000;
// The script's own deadline; the test waits a little longer for its summary.
constexpr int kScriptTimeoutS = 30;

// A node without RPC or authentication: the clients subscribe to a public
// stream ($pubsub), which carries presence.
std::unique_ptr<CableServer> StartNode(std::vector<std::string> broker_args) {
  ServeOptions options;
  options.backend.clear();
  options.args = {"--norpc",     "--public", "--presence_ttl", std::to_string(kPresenceTtlS),
                  "--log_level", "debug"};
  options.args.insert(options.args.end(), broker_args.begin(), broker_args.end());
  return std::make_unique<CableServer>(options);
}

// The joins and leaves a client received, without their arrival times
// (query replies come the same way, as type "info").
Json Events(const Json& summary, const std::string& client) {
  Json out = Json::array();
  for (Json e : summary["events"][client]) {
    if (e.value("type", "") == "info") continue;
    e.erase("at_ms");
    out.push_back(e);
  }
  return out;
}

Json Join(const std::string& id, const Json& info) {
  return {{"type", "join"}, {"id", id}, {"info", info}};
}
Json Leave(const std::string& id) {
  return {{"type", "leave"}, {"id", id}};
}

class PresenceClientTest : public NodeScriptTest {
 protected:
  // Runs presence.mjs with alice on the first node and bob on the last;
  // the parsed summary, or a test failure.
  // With `redis` the nodes share its pub/sub, and the script waits for
  // every node's subscription to the stream there before anyone joins.
  Json RunScript(const std::vector<CableServer*>& nodes, const std::string& stream,
                 const RedisServer* redis = nullptr) {
    std::string ports;
    for (auto* n : nodes) ports += (ports.empty() ? "" : ",") + std::to_string(n->port());
    std::vector<std::string> argv = {"node",      SourcePath("tests/node/presence.mjs"),
                                     "--ws",      ports,
                                     "--stream",  stream,
                                     "--ttl",     std::to_string(kPresenceTtlS),
                                     "--timeout", std::to_string(kScriptTimeoutS)};
    if (redis) argv.insert(argv.end(), {"--redis-port", std::to_string(redis->port())});
    Json summary = RunNodeScript(argv, std::chrono::seconds(kScriptTimeoutS), nodes);
    if (summary.is_null()) return summary;
    std::cout << "[ summary  ] outcome " << summary.value("outcome", "?") << ", bob's TTL leave "
              << summary.value("ttl_leave_after_ms", -1) << " ms after the cut\n";
    return summary;
  }

  // What every run must show, whatever the broker.
  void ExpectPresenceLifecycle(const Json& s) {
    ASSERT_TRUE(s.is_object());
    ASSERT_EQ(s["outcome"], "done") << "stuck at step " << s.value("step", "?");
    const Json alice_info = {{"name", "Alice"}};
    const Json bob_info = {{"name", "Bob"}};
    const Json bob_again = {{"name", "Bob again"}};

    // Each member saw the other's join, with the info it joined with.
    EXPECT_EQ(s["joins_seen"]["bob_saw_alice"]["info"], alice_info);
    EXPECT_EQ(s["joins_seen"]["alice_saw_bob"]["info"], bob_info);
    // Both queries list both, with their info.
    const Json both = {{"alice", alice_info}, {"bob", bob_info}};
    EXPECT_EQ(s["infos"]["alice_both"], both);
    EXPECT_EQ(s["infos"]["bob_both"], both);
    // After bob's leave (and again after his TTL leave) only alice is there.
    const Json alone = {{"alice", alice_info}};
    EXPECT_EQ(s["infos"]["alice_after_leave"], alone);
    EXPECT_EQ(s["infos"]["alice_alone"], alone);
    EXPECT_EQ(s["cut_connections"], 1);

    // Alice saw exactly this, in this order: her own join is sent to her too
    // (every subscriber gets it), then bob's join, leave, join again, and the
    // leave of the TTL; nothing twice.
    const Json bob_join = Join("bob", bob_info);
    const Json alice_join = Join("alice", alice_info);
    Json alice = Events(s, "alice");
    Json expected_alice = {alice_join, bob_join, Leave("bob"), Join("bob", bob_again),
                           Leave("bob")};
    // Alice's own join and bob's first one race (they come from two
    // clients); the rest is ordered by the steps.
    if (alice.size() >= 2 && alice[0] == bob_join) std::swap(expected_alice[0], expected_alice[1]);
    EXPECT_EQ(alice, expected_alice);
    // Bob saw alice's join and his own, then nothing of himself after his
    // leave (his subscription stays but no other member moved).
    Json bob = Events(s, "bob");
    EXPECT_NE(std::find(bob.begin(), bob.end(), alice_join), bob.end()) << bob.dump();
    EXPECT_NE(std::find(bob.begin(), bob.end(), bob_join), bob.end()) << bob.dump();

    // The TTL held bob's membership past the reset, and not much longer.
    const int after_ms = s.value("ttl_leave_after_ms", -1);
    EXPECT_GE(after_ms, (kPresenceTtlS - 1) * 1000) << "leave sent before the presence TTL";
    EXPECT_LE(after_ms, kPresenceTtlS * 1000 + kSweepSlackMs) << "leave long after the TTL";
  }
};

TEST_F(PresenceClientTest, MemoryBrokerJoinLeaveAndTtlOnOneNode) {
  auto node = StartNode({"--broker", "memory"});
  ExpectPresenceLifecycle(RunScript({node.get()}, "room/memory"));
}

TEST_F(PresenceClientTest, RedisBrokerSharesPresenceAcrossTwoNodes) {
  if (!RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
  RedisServer redis;
  const std::vector<std::string> shared = {"--broker", "redis",       "--pubsub",
                                           "redis",    "--redis_url", redis.url()};
  auto a = StartNode(shared);
  auto b = StartNode(shared);
  // A node publishes to the other (rather than to its own clients only)
  // once its Redis publisher is up, which it logs.
  for (auto* node : {a.get(), b.get()}) {
    ASSERT_TRUE(node->process().WaitForOutput("Redis pub/sub publisher: connected to",
                                              std::chrono::seconds(15)))
        << node->process().Stderr();
  }
  Json s = RunScript({a.get(), b.get()}, "room/redis", &redis);
  ExpectPresenceLifecycle(s);
  if (HasFatalFailure() || !s.is_object()) return;
  EXPECT_EQ(s["redis_subscribers"], 2) << "one subscription per node";
}

}  // namespace
}  // namespace cable::testing
