// Redis Sentinel end to end: a master, its replica and one redis-sentinel,
// all real. `cable serve --redis_url redis://mymaster --redis_sentinels ...`
// finds the master through the sentinel, and after a failover follows the
// promoted replica without a restart: broadcasts published through the new
// master (found by `cable broadcast` through the sentinel too) still reach
// its clients.

#include "support/redis_sentinel.h"

#include <gtest/gtest.h>

#include "server/cluster_helpers.h"
#include "support/redis_server.h"

namespace cable::testing {
namespace {

constexpr const char* kChannel = "__anycable__";
constexpr const char* kMaster = "mymaster";

class RedisSentinelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RedisServer::Available() || !RedisSentinel::Available()) {
      GTEST_SKIP() << "redis-server or redis-sentinel not installed";
    }
    master_ = std::make_unique<RedisServer>();
    RedisServerOptions replica;
    replica.args = {"--replicaof", "127.0.0.1", std::to_string(master_->port())};
    replica_ = std::make_unique<RedisServer>(replica);
    sentinel_ = std::make_unique<RedisSentinel>(kMaster, master_->port());
  }

  RunResult Broadcast(const std::string& text) {
    return CableBroadcast({"--adapter", "redis", "--redis-url", std::string("redis://") + kMaster,
                           "--redis-sentinels", sentinel_->address(), "--stream", "news", "--data",
                           Json{{"text", text}}.dump()});
  }

  std::unique_ptr<RedisServer> master_, replica_;
  std::unique_ptr<RedisSentinel> sentinel_;
};

TEST_F(RedisSentinelTest, ServeFollowsAFailoverWithoutARestart) {
  ServeOptions options;
  options.backend = AnytWithTestChannels();
  options.args = {
      "--broadcast_adapter", "http,redis",         "--redis_url", std::string("redis://") + kMaster,
      "--redis_sentinels",   sentinel_->address(), "--pubsub",    "none"};
  CableServer server(options);
  ASSERT_TRUE(HasSubscribers(*master_, kChannel, 1)) << server.process().Stderr();
  ASSERT_CONNECTED(client, ConnectWelcomed(server));
  const auto id = StreamIdentifier("news");
  ASSERT_TRUE(Subscribes(client, id));
  auto before = Broadcast("before");
  ASSERT_EQ(before.exit_code, 0) << before.err;
  EXPECT_TRUE(ReceivesMessage(client, Received(id, {{"text", "before"}})));

  ASSERT_EQ(sentinel_->Failover(), replica_->port());
  // The demoted master drops its clients; the adapter asks the sentinel again
  // and subscribes on the promoted replica.
  ASSERT_TRUE(HasSubscribers(*replica_, kChannel, 1)) << server.process().Stderr();
  auto after = Broadcast("after");
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_TRUE(ReceivesMessage(client, Received(id, {{"text", "after"}})));
  EXPECT_TRUE(server.process().running());
}

// `cable serve` broadcasting through Redis found via the fixture's one
// listed sentinel, discovering others every `discovery_interval` seconds.
ServeOptions ThroughListedSentinel(const RedisSentinel& listed,
                                   const std::string& discovery_interval) {
  ServeOptions options;
  options.backend = AnytWithTestChannels();
  options.args = {"--broadcast_adapter",
                  "http,redis",
                  "--redis_url",
                  std::string("redis://") + kMaster,
                  "--redis_sentinels",
                  listed.address(),
                  "--redis_sentinel_discovery_interval",
                  discovery_interval,
                  "--pubsub",
                  "none"};
  return options;
}

// Only the first sentinel is listed; the second one, which it knows, is
// discovered (SENTINEL SENTINELS) and remembered. With the listed sentinel
// gone, the failover the second one performs is still followed.
TEST_F(RedisSentinelTest, ServeFollowsAFailoverThroughADiscoveredSentinel) {
  RedisSentinel second(kMaster, master_->port());
  const std::string discovered = "Redis Sentinel: discovered " + second.address();
  CableServer server(ThroughListedSentinel(*sentinel_, "1"));
  ASSERT_TRUE(HasSubscribers(*master_, kChannel, 1)) << server.process().Stderr();
  ASSERT_CONNECTED(client, ConnectWelcomed(server));
  const auto id = StreamIdentifier("news");
  ASSERT_TRUE(Subscribes(client, id));
  // Sentinels learn of each other through the master's hello channel
  // (every 2 s); the roster learns of the second one after that.
  ASSERT_TRUE(server.process().WaitForOutput(discovered, std::chrono::seconds(20)))
      << server.process().Stderr();

  sentinel_.reset();
  ASSERT_EQ(second.Failover(), replica_->port());
  ASSERT_TRUE(HasSubscribers(*replica_, kChannel, 1)) << server.process().Stderr();
  replica_->Command({"PUBLISH", kChannel, Publication("news", {{"text", "after"}}).dump()});
  EXPECT_TRUE(ReceivesMessage(client, Received(id, {{"text", "after"}})));
}

// Discovery only runs with an interval: with 0 the second sentinel is
// never asked about.
TEST_F(RedisSentinelTest, NoDiscoveryWithAZeroInterval) {
  RedisSentinel second(kMaster, master_->port());
  CableServer server(ThroughListedSentinel(*sentinel_, "0"));
  ASSERT_TRUE(HasSubscribers(*master_, kChannel, 1)) << server.process().Stderr();
  // The first sentinel knows the second one once this holds.
  ASSERT_TRUE(PollUntil([&] {
    auto r = sentinel_->Command({"SENTINEL", "SENTINELS", kMaster});
    return r.is_array() && r.size() == 1;
  }));
  EXPECT_FALSE(server.process().WaitForOutput("Redis Sentinel: discovered",
                                              std::chrono::milliseconds(1500)));
}

TEST_F(RedisSentinelTest, AnUnknownMasterNameIsReported) {
  auto r = CableBroadcast({"--adapter", "redis", "--redis-url", "redis://nosuchmaster",
                           "--redis-sentinels", sentinel_->address(), "--stream", "news", "--data",
                           "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no Redis Sentinel knows the master \"nosuchmaster\""), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace cable::testing
