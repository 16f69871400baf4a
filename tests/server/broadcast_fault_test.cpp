// Redis and NATS going away and coming back under a running `cable serve`:
// the node keeps serving its clients, reconnects, re-subscribes, and
// Redis Streams entries published while no node consumed them are not
// lost. Outages are observed through the node's log lines (each is written
// after the state it reports changed), never by sleeping.
//
// Behaviour under test while the pub/sub is down: a broadcast accepted by a
// node is delivered to that node's clients only (documented in
// docs/broadcasting.md); after the reconnect broadcasts reach every node
// again.

#include <gtest/gtest.h>

#include <algorithm>

#include "server/cluster_helpers.h"
#include "support/nats_server.h"
#include "support/redis_server.h"

namespace cable::testing {
namespace {

std::unique_ptr<CableServer> StartNode(std::vector<std::string> args) {
  ServeOptions options;
  options.backend = AnytWithTestChannels();
  options.args = std::move(args);
  return std::make_unique<CableServer>(options);
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

std::string Log(CableServer& node) {
  return node.process().Stdout() + node.process().Stderr();
}

class BroadcastFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RedisServer::Available() || !NatsServer::Available()) {
      GTEST_SKIP() << "redis-server or nats-server not installed";
    }
  }
};

TEST_F(BroadcastFaultTest, RedisPubSubSurvivesARedisRestart) {
  RedisServer redis;
  const std::vector<std::string> args = {"--pubsub", "redis", "--redis_url", redis.url()};
  auto entry = StartNode(args);
  auto other = StartNode(args);
  ASSERT_CONNECTED(near, ConnectWelcomed(*entry));
  ASSERT_CONNECTED(far, ConnectWelcomed(*other));
  const auto id = StreamIdentifier("restart");
  ASSERT_TRUE(Subscribes(near, id));
  ASSERT_TRUE(Subscribes(far, id));
  ASSERT_TRUE(HasSubscribers(redis, "restart", 2));
  ASSERT_TRUE(RedisPublisherReady(*entry));
  ASSERT_EQ(entry->Broadcast(Publication("restart", "before").dump()), 201);
  ASSERT_TRUE(ReceivesMessage(near, Received(id, "before")));
  ASSERT_TRUE(ReceivesMessage(far, Received(id, "before")));

  redis.Stop();
  for (auto* node : {entry.get(), other.get()}) {
    ASSERT_TRUE(node->process().WaitForOutput("retrying in the background")) << Log(*node);
  }
  EXPECT_TRUE(Pongs(near)) << "sessions stay connected while Redis is away";
  EXPECT_TRUE(Pongs(far));
  ASSERT_EQ(entry->Broadcast(Publication("restart", "during").dump()), 201);
  EXPECT_TRUE(ReceivesMessage(near, Received(id, "during")))
      << "the node that accepted it delivers it to its own clients";

  redis.Restart();
  for (auto* node : {entry.get(), other.get()}) {
    ASSERT_TRUE(node->process().WaitForOutput("Redis pub/sub: connection restored")) << Log(*node);
    ASSERT_TRUE(node->process().WaitForOutput("Redis pub/sub publisher: connection restored"))
        << Log(*node);
  }
  ASSERT_TRUE(HasSubscribers(redis, "restart", 2)) << "every active stream is re-subscribed";
  ASSERT_EQ(entry->Broadcast(Publication("restart", "after").dump()), 201);
  EXPECT_TRUE(ReceivesMessage(near, Received(id, "after")));
  EXPECT_TRUE(ReceivesMessage(far, Received(id, "after")))
      << "the other node missed only what was published during the outage";
  EXPECT_TRUE(ReceivesNothing(near));
  EXPECT_TRUE(entry->process().running());
  EXPECT_TRUE(other->process().running());
}

TEST_F(BroadcastFaultTest, NatsPubSubSurvivesANatsRestart) {
  NatsServer nats;
  const std::vector<std::string> args = {"--pubsub", "nats", "--nats_servers", nats.url()};
  auto entry = StartNode(args);
  auto other = StartNode(args);
  ASSERT_CONNECTED(near, ConnectWelcomed(*entry));
  ASSERT_CONNECTED(far, ConnectWelcomed(*other));
  const auto id = StreamIdentifier("restart");
  ASSERT_TRUE(Subscribes(near, id));
  ASSERT_TRUE(Subscribes(far, id));
  auto publish = [&](const Json& payload) {
    entry->Broadcast(Publication("restart", payload).dump());
  };
  ASSERT_TRUE(WarmUp({&near, &far}, id, publish));

  nats.Stop();
  for (auto* node : {entry.get(), other.get()}) {
    ASSERT_TRUE(node->process().WaitForOutput("lost the connection to NATS")) << Log(*node);
  }
  EXPECT_TRUE(Pongs(near));
  EXPECT_TRUE(Pongs(far));
  ASSERT_EQ(entry->Broadcast(Publication("restart", "during").dump()), 201);
  EXPECT_TRUE(ReceivesMessage(near, Received(id, "during")));

  nats.Restart();
  for (auto* node : {entry.get(), other.get()}) {
    ASSERT_TRUE(node->process().WaitForOutput("NATS pub/sub: connection restored")) << Log(*node);
  }
  std::vector<std::vector<Json>> seen;
  ASSERT_TRUE(WarmUp({&near, &far}, id, publish, &seen)) << "subscriptions are restored";
  EXPECT_TRUE(seen[0].empty() && seen[1].empty())
      << "nothing from the outage is delivered late, twice or elsewhere";
  ASSERT_EQ(entry->Broadcast(Publication("restart", "after").dump()), 201);
  EXPECT_TRUE(ReceivesMessage(near, Received(id, "after")));
  EXPECT_TRUE(ReceivesMessage(far, Received(id, "after")));
}

// Redis is down when the node starts: no exit, one warning, local service,
// and everything works once Redis appears.
TEST_F(BroadcastFaultTest, RedisDownAtStartIsRetriedNotFatal) {
  RedisServer redis;
  redis.Stop();
  auto node = StartNode(
      {"--broadcast_adapter", "http,redis", "--redis_url", redis.url(), "--log_level", "debug"});
  ASSERT_CONNECTED(client, ConnectWelcomed(*node));
  const auto id = StreamIdentifier("late");
  ASSERT_TRUE(Subscribes(client, id));
  ASSERT_EQ(node->Broadcast(Publication("late", "local").dump()), 201);
  EXPECT_TRUE(ReceivesMessage(client, Received(id, "local")))
      << "HTTP broadcasts are delivered locally while the pub/sub is down";
  ASSERT_TRUE(node->process().WaitForOutput("Redis broadcast adapter: still unavailable"))
      << "a retry happened";
  EXPECT_EQ(Count(Log(*node), "Redis broadcast adapter: cannot connect"), 1u)
      << "one warning per outage, retries at debug level:\n"
      << Log(*node);

  redis.Restart();
  ASSERT_TRUE(HasSubscribers(redis, "__anycable__", 1));
  ASSERT_TRUE(HasSubscribers(redis, "late", 1));
  ASSERT_TRUE(node->process().WaitForOutput("Redis pub/sub publisher: connection restored"));
  ASSERT_TRUE(node->process().WaitForOutput("Redis broadcast adapter: connection restored"));
  auto sent = CableBroadcast({"--adapter", "redis", "--redis-url", redis.url(), "--stream", "late",
                              "--data", R"("via redis")"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_TRUE(ReceivesMessage(client, Received(id, "via redis")));
  ASSERT_EQ(node->Broadcast(Publication("late", "via pubsub").dump()), 201);
  EXPECT_TRUE(ReceivesMessage(client, Received(id, "via pubsub")));
  EXPECT_TRUE(ReceivesNothing(client));
}

TEST_F(BroadcastFaultTest, NatsDownAtStartIsRetriedNotFatal) {
  NatsServer nats;
  nats.Stop();
  auto node = StartNode(
      {"--broadcast_adapter", "http,nats", "--nats_servers", nats.url(), "--pubsub", "nats"});
  ASSERT_CONNECTED(client, ConnectWelcomed(*node));
  const auto id = StreamIdentifier("late");
  ASSERT_TRUE(Subscribes(client, id));
  ASSERT_EQ(node->Broadcast(Publication("late", "local").dump()), 201);
  EXPECT_TRUE(ReceivesMessage(client, Received(id, "local")));

  nats.Restart();
  ASSERT_TRUE(node->process().WaitForOutput("NATS pub/sub: connected to")) << Log(*node);
  ASSERT_TRUE(node->process().WaitForOutput("NATS broadcast adapter: connected to")) << Log(*node);
  // Subscriptions made before the first connection are sent with it.
  ASSERT_TRUE(WarmUp({&client}, id, [&](const Json& payload) {
    CableBroadcast({"--adapter", "nats", "--nats-servers", nats.url(), "--stream", "late", "--data",
                    payload.dump()});
  }));
  ASSERT_EQ(node->Broadcast(Publication("late", "via pubsub").dump()), 201);
  EXPECT_TRUE(ReceivesMessage(client, Received(id, "via pubsub")));
  EXPECT_TRUE(ReceivesNothing(client));
}

TEST_F(BroadcastFaultTest, RedisAdapterResubscribesAfterARestart) {
  RedisServer redis;
  auto node = StartNode(
      {"--broadcast_adapter", "http,redis", "--redis_url", redis.url(), "--pubsub", "none"});
  ASSERT_CONNECTED(client, ConnectWelcomed(*node));
  const auto id = StreamIdentifier("adapter");
  ASSERT_TRUE(Subscribes(client, id));
  ASSERT_TRUE(HasSubscribers(redis, "__anycable__", 1));
  redis.Restart();
  ASSERT_TRUE(HasSubscribers(redis, "__anycable__", 1));
  auto sent = CableBroadcast({"--adapter", "redis", "--redis-url", redis.url(), "--stream",
                              "adapter", "--data", R"("after restart")"});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_TRUE(ReceivesMessage(client, Received(id, "after restart")));
}

TEST_F(BroadcastFaultTest, NatsAdapterResubscribesAfterARestart) {
  NatsServer nats;
  auto node = StartNode({"--broadcast_adapter", "http,nats", "--nats_servers", nats.url()});
  ASSERT_CONNECTED(client, ConnectWelcomed(*node));
  const auto id = StreamIdentifier("adapter");
  ASSERT_TRUE(Subscribes(client, id));
  auto publish = [&](const Json& payload) {
    CableBroadcast({"--adapter", "nats", "--nats-servers", nats.url(), "--stream", "adapter",
                    "--data", payload.dump()});
  };
  ASSERT_TRUE(WarmUp({&client}, id, publish));
  nats.Restart();
  ASSERT_TRUE(node->process().WaitForOutput("NATS broadcast adapter: connection restored"));
  ASSERT_TRUE(WarmUp({&client}, id, publish));
  EXPECT_TRUE(node->process().running());
}

// Scenario: node A stays up with clients and `--pubsub redis`; node B is
// the Redis Streams consumer. B stops; publications are added to the stream
// while no node consumes it; nobody receives them yet. B starts again (a
// new process, same stream and group): it reads the entries the group has
// not delivered yet and spreads them through the pub/sub, so A's client
// gets every one of them, once and in order.
TEST_F(BroadcastFaultTest, RedisxEntriesAddedWhileTheConsumerIsDownAreDeliveredWhenItReturns) {
  RedisServer redis;
  const std::vector<std::string> consumer_args = {
      "--broadcast_adapter", "http,redisx", "--redis_url", redis.url(), "--redisx_stream", "rxd"};
  auto watcher = StartNode({"--pubsub", "redis", "--redis_url", redis.url()});
  ASSERT_CONNECTED(client, ConnectWelcomed(*watcher));
  const auto id = StreamIdentifier("rxd-news");
  ASSERT_TRUE(Subscribes(client, id));
  ASSERT_TRUE(HasSubscribers(redis, "rxd-news", 1));
  {
    auto consumer = StartNode(consumer_args);
    ASSERT_TRUE(PollUntil([&] { return HasGroup(redis, "rxd"); }));
    EXPECT_EQ(consumer->process().Stop(), 0);
  }
  std::string lines;
  for (int n = 1; n <= 10; ++n) lines += Json{{"n", n}}.dump() + "\n";
  auto sent = CableBroadcast({"--adapter", "redisx", "--redis-url", redis.url(), "--redisx-stream",
                              "rxd", "--stream", "rxd-news"},
                             lines);
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_TRUE(ReceivesNothing(client)) << "no consumer runs";
  EXPECT_EQ(redis.Command({"XLEN", "rxd"}), 10);

  auto consumer = StartNode(consumer_args);
  EXPECT_EQ(ReceiveNumbers(client, 10), Range(1, 10));
  EXPECT_TRUE(ReceivesNothing(client));
  EXPECT_TRUE(PollUntil([&] { return redis.Command({"XLEN", "rxd"}) == 0; }));
}

// A consumer that read entries and died before acknowledging them (here:
// a plain client reading as consumer "dead", never acknowledging) leaves
// them pending; a node that starts later claims them once they have been
// idle for 2 s and spreads them. The client waits on a second node that is
// subscribed before the claiming node even exists, so nothing races.
TEST_F(BroadcastFaultTest, RedisxReclaimsEntriesLeftPendingByADeadConsumer) {
  RedisServer redis;
  auto watcher = StartNode({"--pubsub", "redis", "--redis_url", redis.url()});
  ASSERT_CONNECTED(client, ConnectWelcomed(*watcher));
  const auto id = StreamIdentifier("rxp-news");
  ASSERT_TRUE(Subscribes(client, id));
  ASSERT_TRUE(HasSubscribers(redis, "rxp-news", 1));

  ASSERT_EQ(redis.Command({"XGROUP", "CREATE", "rxp", "bx", "$", "MKSTREAM"}), "OK");
  for (int n = 1; n <= 3; ++n) {
    redis.Command({"XADD", "rxp", "*", "payload", Publication("rxp-news", {{"n", n}}).dump()});
  }
  auto taken =
      redis.Command({"XREADGROUP", "GROUP", "bx", "dead", "COUNT", "10", "STREAMS", "rxp", ">"});
  ASSERT_TRUE(taken.is_array()) << taken.dump();

  auto claimer = StartNode(
      {"--broadcast_adapter", "http,redisx", "--redis_url", redis.url(), "--redisx_stream", "rxp"});
  ASSERT_TRUE(claimer->process().WaitForOutput("reclaimed 3 entries")) << Log(*claimer);
  EXPECT_EQ(ReceiveNumbers(client, 3), Range(1, 3));
  EXPECT_TRUE(ReceivesNothing(client));
  EXPECT_TRUE(PollUntil([&] { return redis.Command({"XLEN", "rxp"}) == 0; }));
}

// redisx takes entries only while the pub/sub can spread them: taken while
// it is down, they would be acknowledged yet reach this node's clients
// only. Here Redis is up and the NATS pub/sub is not.
TEST_F(BroadcastFaultTest, RedisxLeavesEntriesInTheStreamWhileThePubSubIsDown) {
  RedisServer redis;
  NatsServer nats;
  nats.Stop();
  auto node =
      StartNode({"--broadcast_adapter", "http,redisx", "--redis_url", redis.url(),
                 "--redisx_stream", "rxw", "--pubsub", "nats", "--nats_servers", nats.url()});
  ASSERT_CONNECTED(client, ConnectWelcomed(*node));
  const auto id = StreamIdentifier("rxw-news");
  ASSERT_TRUE(Subscribes(client, id));
  ASSERT_TRUE(PollUntil([&] { return HasGroup(redis, "rxw"); }));
  std::string lines;
  for (int n = 1; n <= 5; ++n) lines += Json{{"n", n}}.dump() + "\n";
  auto sent = CableBroadcast({"--adapter", "redisx", "--redis-url", redis.url(), "--redisx-stream",
                              "rxw", "--stream", "rxw-news"},
                             lines);
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  ASSERT_TRUE(node->process().WaitForOutput("entries wait in the stream")) << Log(*node);
  EXPECT_EQ(redis.Command({"XLEN", "rxw"}), 5);
  EXPECT_TRUE(ReceivesNothing(client));

  nats.Restart();
  EXPECT_EQ(ReceiveNumbers(client, 5), Range(1, 5));
  EXPECT_TRUE(PollUntil([&] { return redis.Command({"XLEN", "rxw"}) == 0; }));
}

// Adapter settings are configuration: a mistake is a usage error (exit 2),
// reported before anything listens.
TEST_F(BroadcastFaultTest, MalformedUrlsFailTheStartAsUsageErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--broadcast_adapter", "redis", "--redis_url", "http://localhost:6379"}, "--redis_url"},
      {{"--broadcast_adapter", "http", "--pubsub", "redis", "--redis_url", "redis://:x:y"},
       "--redis_url"},
      {{"--broadcast_adapter", "nats", "--nats_servers", "http://localhost:4222"}, "NATS"},
      {{"--broadcast_adapter", "http,carrier-pigeon"}, "unknown broadcast adapter"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv = {CableBinary(), "serve", "--port", std::to_string(FreePort()),
                                     "--backend",   "anyt"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    SpawnOptions options;
    options.unset_env = {"REDIS_URL", "ANYCABLE_REDIS_URL"};
    auto r = ::cable::testing::Run(argv, options, std::chrono::seconds(20));
    EXPECT_EQ(r.exit_code, 2) << c.args.back() << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace cable::testing
