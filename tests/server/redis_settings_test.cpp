// The redis.* settings of `cable serve` against a real redis-server:
// --redis_keepalive_interval makes a Redis that stops answering (SIGSTOP:
// the connection stays open, nothing replies) noticed and reconnected.

#include <gtest/gtest.h>
#include <signal.h>

#include "server/cluster_helpers.h"
#include "support/redis_server.h"
#include "support/temp_dir.h"

namespace cable::testing {
namespace {

std::unique_ptr<CableServer> StartRedisNode(std::vector<std::string> args) {
  ServeOptions options;
  options.backend = AnytWithTestChannels();
  options.args = std::move(args);
  return std::make_unique<CableServer>(options);
}

class RedisSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
  }
};

// Continues a SIGSTOPped redis-server however the test ends.
struct Frozen {
  explicit Frozen(RedisServer& r) : redis(r) { redis.process().Signal(SIGSTOP); }
  ~Frozen() { redis.process().Signal(SIGCONT); }
  RedisServer& redis;
};

// A frozen Redis keeps the TCP connections open and answers nothing: only a
// PING that gets no reply tells. With a 1 s interval the pub/sub (both its
// connections) and the `redis` broadcast adapter notice within 1 s + 1 s;
// once Redis answers again, a broadcast published to it reaches a client.
TEST_F(RedisSettingsTest, KeepaliveNoticesAFrozenRedisAndReconnects) {
  RedisServer redis;
  auto node =
      StartRedisNode({"--pubsub", "redis", "--redis_url", redis.url(), "--broadcast_adapter",
                      "http,redis", "--redis_keepalive_interval", "1"});
  ASSERT_TRUE(node->process().WaitForOutput("Redis pub/sub: subscribed at"));
  ASSERT_TRUE(RedisPublisherReady(*node));
  ASSERT_TRUE(HasSubscribers(redis, "__anycable__", 1));
  auto client = ConnectWelcomed(*node);
  ASSERT_TRUE(client.ok()) << client.error().message;
  ASSERT_TRUE(Subscribes(*client, StreamIdentifier("ka")));
  {
    Frozen frozen(redis);
    const auto within = std::chrono::seconds(6);
    for (const char* who : {"Redis pub/sub: Redis at", "Redis pub/sub publisher: Redis at",
                            "Redis broadcast adapter: Redis at"}) {
      EXPECT_TRUE(node->process().WaitForOutput(std::string(who) +
                                                    " 127.0.0.1:" + std::to_string(redis.port()) +
                                                    " stopped answering PING (keepalive)",
                                                within))
          << who << "\n"
          << node->process().Stderr();
    }
  }
  // Back: the broadcast adapter subscribes again on a fresh connection.
  bool delivered = PollUntil([&] {
    redis.Command({"PUBLISH", "__anycable__", Publication("ka", {{"back", true}}).dump()});
    auto m = NextMessage(*client, std::chrono::milliseconds(100));
    return m.ok() && m->value("message", Json()) == Json{{"back", true}};
  });
  EXPECT_TRUE(delivered) << node->process().Stderr();
}

// The default interval (30 s) does not ping within a few seconds: the
// setting, not some fixed timer, drives the checks above.
TEST_F(RedisSettingsTest, KeepaliveFollowsTheConfiguredIntervalFromTheFile) {
  RedisServer redis;
  TempDir dir;
  const std::string path = dir.Write(
      "anycable.toml", "[redis]\nkeepalive_ping_interval = 30\nurl = \"" + redis.url() + "\"\n");
  auto node =
      StartRedisNode({"--pubsub", "redis", "--broadcast_adapter", "http", "--config-path", path});
  ASSERT_TRUE(node->process().WaitForOutput("Redis pub/sub: subscribed at"));
  ASSERT_TRUE(RedisPublisherReady(*node));
  Frozen frozen(redis);
  EXPECT_FALSE(node->process().WaitForOutput("stopped answering PING", std::chrono::seconds(3)));
}

}  // namespace
}  // namespace cable::testing
