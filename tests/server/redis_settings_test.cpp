// The redis.* and pub/sub channel settings of `cable serve` against real
// redis-server and nats-server processes: --redis_keepalive_interval makes
// a Redis that stops answering (SIGSTOP: the connection stays open, nothing
// replies) noticed and reconnected; the channel of remote commands, the
// redisx consumer group and block time, and the $pubsub channel name are
// taken from anycable-go's TOML keys.

#include <gtest/gtest.h>
#include <signal.h>

#include "server/cluster_helpers.h"
#include "support/nats_server.h"
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

constexpr const char* kDisconnectFar =
    R"({"command":"disconnect","payload":{"identifier":"{\"uid\":\"far\"}","reconnect":true}})";

// Nodes that share redis_pubsub.channel exchange remote commands on it; a
// node on the default channel does not hear them.
TEST_F(RedisSettingsTest, RemoteCommandsTravelOnTheConfiguredPubSubChannel) {
  RedisServer redis;
  TempDir dir;
  const std::string path = dir.Write("anycable.toml", "[redis_pubsub]\nchannel = \"cmds\"\n");
  const std::vector<std::string> args = {
      "--pubsub", "redis", "--redis_url", redis.url(), "--broadcast_adapter", "http"};
  auto with_file = args;
  with_file.insert(with_file.end(), {"--config-path", path});
  auto entry = StartRedisNode(with_file);
  auto peer = StartRedisNode(with_file);
  auto stranger = StartRedisNode(args);
  ASSERT_TRUE(HasSubscribers(redis, "cmds", 2));
  ASSERT_TRUE(HasSubscribers(redis, "__anycable_internal__", 1));
  ASSERT_TRUE(RedisPublisherReady(*entry));
  ASSERT_CONNECTED(target, ConnectWelcomed(*peer, "/cable?test=uid&uid=far"));
  ASSERT_CONNECTED(namesake, ConnectWelcomed(*stranger, "/cable?test=uid&uid=far"));

  ASSERT_EQ(entry->Broadcast(kDisconnectFar), 201);
  EXPECT_TRUE(
      ReceivesMessage(target, {{"type", "disconnect"}, {"reason", "remote"}, {"reconnect", true}}));
  EXPECT_TRUE(ReceivesClose(target, 1000));
  EXPECT_TRUE(Pongs(namesake));
  EXPECT_TRUE(ReceivesNothing(namesake));
}

// The same for NATS (nats_pubsub.channel): the command is published on the
// configured subject.
TEST_F(RedisSettingsTest, NatsRemoteCommandsUseTheConfiguredSubject) {
  if (!NatsServer::Available()) GTEST_SKIP() << "nats-server not installed";
  NatsServer nats;
  TempDir dir;
  const std::string path = dir.Write("anycable.toml", "[nats_pubsub]\nchannel = \"cmds\"\n");
  NatsSubscriber commands(nats.url(), "cmds");
  auto entry = StartRedisNode({"--pubsub", "nats", "--nats_servers", nats.url(),
                               "--broadcast_adapter", "http", "--config-path", path});
  ASSERT_TRUE(entry->process().WaitForOutput("NATS pub/sub: connected to"));
  ASSERT_EQ(entry->Broadcast(kDisconnectFar), 201);
  auto got = commands.Next();
  ASSERT_TRUE(got.has_value());
  EXPECT_NE(got->find("\"disconnect\""), std::string::npos) << *got;
}

// The `redis` adapter's channel may not double as the commands channel:
// anycable-go renames the latter, and so does cable.
TEST_F(RedisSettingsTest, APubSubChannelEqualToTheRedisAdapterChannelIsRenamed) {
  RedisServer redis;
  TempDir dir;
  const std::string path =
      dir.Write("anycable.toml", "[redis_pubsub]\nchannel = \"__anycable__\"\n");
  auto node = StartRedisNode({"--pubsub", "redis", "--redis_url", redis.url(),
                              "--broadcast_adapter", "http,redis", "--config-path", path});
  ASSERT_TRUE(HasSubscribers(redis, "__anycable__-int", 1)) << node->process().Stderr();
  EXPECT_TRUE(node->process().WaitForOutput("the pub/sub uses __anycable__-int instead"));
}

// redis_stream_broadcast.group and .stream_read_block_milliseconds: the
// group created in Redis is the configured one, and entries are read.
TEST_F(RedisSettingsTest, RedisxReadsAsTheConfiguredGroup) {
  RedisServer redis;
  TempDir dir;
  const std::string path = dir.Write("anycable.toml",
                                     "[redis_stream_broadcast]\ngroup = \"grp\"\n"
                                     "stream_read_block_milliseconds = 300\n");
  auto node = StartRedisNode({"--redis_url", redis.url(), "--broadcast_adapter", "http,redisx",
                              "--pubsub", "none", "--config-path", path});
  ASSERT_TRUE(PollUntil([&] { return HasGroup(redis, "__anycable__", "grp"); }))
      << node->process().Stderr();
  EXPECT_FALSE(HasGroup(redis, "__anycable__", "bx"));
  EXPECT_TRUE(node->process().WaitForOutput("as grp/"));
  ASSERT_CONNECTED(client, ConnectWelcomed(*node));
  const auto id = StreamIdentifier("sx");
  ASSERT_TRUE(Subscribes(client, id));
  redis.Command({"XADD", "__anycable__", "*", "payload", Publication("sx", {{"n", 1}}).dump()});
  EXPECT_TRUE(ReceivesMessage(client, Received(id, {{"n", 1}})));
}

// streams.pubsub_channel renames the channel of signed and public streams.
TEST_F(RedisSettingsTest, PubSubStreamsAnswerToTheConfiguredChannelName) {
  TempDir dir;
  const std::string path = dir.Write("anycable.toml", "[streams]\npubsub_channel = \"$mine\"\n");
  auto node =
      StartRedisNode({"--public_streams", "--broadcast_adapter", "http", "--config-path", path});
  ASSERT_CONNECTED(client, ConnectWelcomed(*node));
  const auto mine = Identifier("$mine", {{"stream_name", "ps"}});
  ASSERT_TRUE(Subscribes(client, mine));
  ASSERT_EQ(node->Broadcast(Publication("ps", {{"n", 1}}).dump()), 201);
  EXPECT_TRUE(ReceivesMessage(client, Received(mine, {{"n", 1}})));
}

}  // namespace
}  // namespace cable::testing
