// Several `cable serve` processes joined by the node-to-node pub/sub (spec
// §8.3), over a real redis-server or nats-server: a broadcast accepted by
// one node reaches the clients of every node exactly once and in order;
// remote commands and exclude_socket work across nodes; the `redisx`
// adapter (one node consumes, the pub/sub spreads) and the automatic choice
// of the pub/sub.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "server/cluster_helpers.h"
#include "support/nats_server.h"
#include "support/redis_server.h"

namespace cable::testing {
namespace {

std::unique_ptr<CableServer> StartNode(std::vector<std::string> args,
                                       std::map<std::string, std::string> env = {}) {
  ServeOptions options;
  options.backend = AnytWithTestChannels();
  options.args = std::move(args);
  options.env = std::move(env);
  return std::make_unique<CableServer>(options);
}

std::vector<std::string> RedisPubSub(const RedisServer& redis) {
  return {"--pubsub", "redis", "--redis_url", redis.url()};
}

std::vector<std::string> NatsPubSub(const NatsServer& nats) {
  return {"--pubsub", "nats", "--nats_servers", nats.url()};
}

// Two clients on each node, all subscribed to `stream`.
struct Spread {
  std::vector<ws::Client> clients;
  std::vector<ws::Client*> all() {
    std::vector<ws::Client*> out;
    for (auto& c : clients) out.push_back(&c);
    return out;
  }
};

::testing::AssertionResult SpreadClients(const std::vector<std::unique_ptr<CableServer>>& nodes,
                                         const std::string& stream, Spread* spread) {
  for (const auto& node : nodes) {
    for (int i = 0; i < 2; ++i) {
      auto c = ConnectWelcomed(*node);
      if (!c.ok()) return ::testing::AssertionFailure() << c.error().message;
      auto subscribed = Subscribes(*c, StreamIdentifier(stream));
      if (!subscribed) return subscribed;
      spread->clients.push_back(std::move(c.value()));
    }
  }
  return ::testing::AssertionSuccess();
}

// Posts 1..count to `node` one at a time, as a backend does.
::testing::AssertionResult PostNumbered(CableServer& node, const std::string& stream, int first,
                                        int last) {
  for (int n = first; n <= last; ++n) {
    const int status = node.Broadcast(Publication(stream, {{"n", n}}).dump());
    if (status != 201) return ::testing::AssertionFailure() << "POST " << n << ": " << status;
  }
  return ::testing::AssertionSuccess();
}

void ExpectEveryClientGetsEachOnceInOrder(Spread& spread, int count) {
  for (size_t i = 0; i < spread.clients.size(); ++i) {
    EXPECT_EQ(ReceiveNumbers(spread.clients[i], count), Range(1, count)) << "client " << i;
    EXPECT_TRUE(ReceivesNothing(spread.clients[i])) << "client " << i << ": a duplicate";
  }
}

class MultiNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RedisServer::Available() || !NatsServer::Available()) {
      GTEST_SKIP() << "redis-server or nats-server not installed";
    }
  }
};

// ------------------------------------------------------------ delivery

TEST_F(MultiNodeTest, RedisPubSubDeliversEachBroadcastOnceAndInOrderOnEveryNode) {
  RedisServer redis;
  std::vector<std::unique_ptr<CableServer>> nodes;
  for (int i = 0; i < 3; ++i) nodes.push_back(StartNode(RedisPubSub(redis)));
  Spread spread;
  ASSERT_TRUE(SpreadClients(nodes, "cluster", &spread));
  ASSERT_TRUE(HasSubscribers(redis, "cluster", 3)) << "one subscription per node, not per client";
  ASSERT_TRUE(HasSubscribers(redis, "__anycable_internal__", 3));
  ASSERT_TRUE(RedisPublisherReady(*nodes[0]));
  ASSERT_TRUE(PostNumbered(*nodes[0], "cluster", 1, 50));
  ExpectEveryClientGetsEachOnceInOrder(spread, 50);
}

TEST_F(MultiNodeTest, NatsPubSubDeliversEachBroadcastOnceAndInOrderOnEveryNode) {
  NatsServer nats;
  std::vector<std::unique_ptr<CableServer>> nodes;
  for (int i = 0; i < 3; ++i) nodes.push_back(StartNode(NatsPubSub(nats)));
  Spread spread;
  ASSERT_TRUE(SpreadClients(nodes, "cluster", &spread));
  ASSERT_TRUE(WarmUp(spread.all(), StreamIdentifier("cluster"), [&](const Json& payload) {
    nodes[0]->Broadcast(Publication("cluster", payload).dump());
  }));
  ASSERT_TRUE(PostNumbered(*nodes[0], "cluster", 1, 50));
  ExpectEveryClientGetsEachOnceInOrder(spread, 50);
  // Closing the last subscribers unsubscribes; then a clean, prompt exit.
  spread.clients[0].Close();
  spread.clients[1].Close();
  EXPECT_EQ(nodes[0]->process().Stop(), 0);
}

TEST_F(MultiNodeTest, UnsubscribingTheLastLocalClientDropsTheNodesSubscription) {
  RedisServer redis;
  auto node = StartNode(RedisPubSub(redis));
  ASSERT_CONNECTED(first, ConnectWelcomed(*node));
  ASSERT_CONNECTED(second, ConnectWelcomed(*node));
  const auto id = StreamIdentifier("granular");
  ASSERT_TRUE(Subscribes(first, id));
  ASSERT_TRUE(Subscribes(second, id));
  ASSERT_TRUE(HasSubscribers(redis, "granular", 1));
  ASSERT_TRUE(first.SendText(UnsubscribeCommand(id)).ok());
  ASSERT_TRUE(Pongs(first));
  EXPECT_EQ(NumSub(redis, "granular"), 1) << "a local subscriber is left";
  second.Close();
  EXPECT_TRUE(HasSubscribers(redis, "granular", 0));
}

// ------------------------------------------------------------ across nodes

class RemoteCommandTest : public MultiNodeTest,
                          public ::testing::WithParamInterface<std::string> {};

TEST_P(RemoteCommandTest, DisconnectPostedToOneNodeClosesSessionsOnAnother) {
  RedisServer redis;
  NatsServer nats;
  const bool use_redis = GetParam() == "redis";
  auto args = use_redis ? RedisPubSub(redis) : NatsPubSub(nats);
  auto entry = StartNode(args);
  auto other = StartNode(args);
  ASSERT_CONNECTED(target, ConnectWelcomed(*other, "/cable?test=uid&uid=far"));
  ASSERT_CONNECTED(bystander, ConnectWelcomed(*other, "/cable?test=uid&uid=near"));
  if (use_redis) {
    ASSERT_TRUE(HasSubscribers(redis, "__anycable_internal__", 2));
    ASSERT_TRUE(RedisPublisherReady(*entry));
  } else {
    // The internal subject is subscribed before any stream on the same
    // connection: a stream that works proves it.
    ASSERT_TRUE(Subscribes(target, StreamIdentifier("ready")));
    ASSERT_TRUE(WarmUp({&target}, StreamIdentifier("ready"), [&](const Json& payload) {
      entry->Broadcast(Publication("ready", payload).dump());
    }));
  }
  ASSERT_EQ(
      entry->Broadcast(
          R"({"command":"disconnect","payload":{"identifier":"{\"uid\":\"far\"}","reconnect":true}})"),
      201);
  EXPECT_TRUE(
      ReceivesMessage(target, {{"type", "disconnect"}, {"reason", "remote"}, {"reconnect", true}}));
  EXPECT_TRUE(ReceivesClose(target, 1000));
  EXPECT_TRUE(Pongs(bystander));
}

TEST_P(RemoteCommandTest, ExcludeSocketWorksAcrossNodes) {
  RedisServer redis;
  NatsServer nats;
  const bool use_redis = GetParam() == "redis";
  auto args = use_redis ? RedisPubSub(redis) : NatsPubSub(nats);
  auto entry = StartNode(args);
  auto other = StartNode(args);
  ASSERT_CONNECTED(excluded, ConnectWelcomed(*other, "/cable", {{"X-Request-ID", "sid-far"}}));
  ASSERT_CONNECTED(near, ConnectWelcomed(*entry));
  const auto id = StreamIdentifier("excl");
  ASSERT_TRUE(Subscribes(excluded, id));
  ASSERT_TRUE(Subscribes(near, id));
  if (use_redis) {
    ASSERT_TRUE(HasSubscribers(redis, "excl", 2));
    ASSERT_TRUE(RedisPublisherReady(*entry));
  } else {
    ASSERT_TRUE(WarmUp({&excluded, &near}, id, [&](const Json& payload) {
      entry->Broadcast(Publication("excl", payload).dump());
    }));
  }
  Json pub = Publication("excl", "to others");
  pub["meta"] = {{"exclude_socket", "sid-far"}};
  ASSERT_EQ(entry->Broadcast(pub.dump()), 201);
  ASSERT_EQ(entry->Broadcast(Publication("excl", "to all").dump()), 201);
  EXPECT_TRUE(ReceivesMessage(near, Received(id, "to others")));
  EXPECT_TRUE(ReceivesMessage(near, Received(id, "to all")));
  EXPECT_TRUE(ReceivesMessage(excluded, Received(id, "to all")));
}

INSTANTIATE_TEST_SUITE_P(PubSub, RemoteCommandTest, ::testing::Values("redis", "nats"),
                         [](const auto& info) { return info.param; });

// ------------------------------------------------------------ choosing the pub/sub

TEST_F(MultiNodeTest, RedisUrlFromTheEnvironmentTurnsRedisPubSubOn) {
  RedisServer redis;
  auto entry = StartNode({}, {{"REDIS_URL", redis.url()}});
  auto other = StartNode({}, {{"REDIS_URL", redis.url()}});
  ASSERT_CONNECTED(client, ConnectWelcomed(*other));
  ASSERT_TRUE(Subscribes(client, StreamIdentifier("auto")));
  ASSERT_TRUE(HasSubscribers(redis, "auto", 1));
  ASSERT_TRUE(RedisPublisherReady(*entry));
  ASSERT_EQ(entry->Broadcast(Publication("auto", "hi").dump()), 201);
  EXPECT_TRUE(ReceivesMessage(client, Received(StreamIdentifier("auto"), "hi")));
}

TEST_F(MultiNodeTest, PubSubNoneKeepsBroadcastsOnTheNodeThatAcceptedThem) {
  RedisServer redis;
  const std::vector<std::string> args = {"--redis_url", redis.url(), "--pubsub", "none"};
  auto entry = StartNode(args);
  auto other = StartNode(args);
  ASSERT_CONNECTED(near, ConnectWelcomed(*entry));
  ASSERT_CONNECTED(far, ConnectWelcomed(*other));
  const auto id = StreamIdentifier("local");
  ASSERT_TRUE(Subscribes(near, id));
  ASSERT_TRUE(Subscribes(far, id));
  ASSERT_EQ(entry->Broadcast(Publication("local", "here").dump()), 201);
  EXPECT_TRUE(ReceivesMessage(near, Received(id, "here")));
  EXPECT_TRUE(ReceivesNothing(far));
  EXPECT_EQ(NumSub(redis, "local"), 0);
}

// ------------------------------------------------------------ redisx

// Two nodes consume the same stream in group `bx`: each entry is processed
// by one of them and spread by the pub/sub, so every client, on any of the
// three nodes, gets every publication exactly once. (Entries consumed by
// different nodes are published by different connections, so their
// relative order is not defined; one consumer keeps order, see below.)
TEST_F(MultiNodeTest, RedisxEntriesAreConsumedOnceAndReachEveryNode) {
  RedisServer redis;
  const std::vector<std::string> consumer = {
      "--broadcast_adapter", "http,redisx", "--redis_url", redis.url(), "--redisx_stream", "rx"};
  std::vector<std::unique_ptr<CableServer>> nodes;
  nodes.push_back(StartNode(consumer));
  nodes.push_back(StartNode(consumer));
  nodes.push_back(StartNode(RedisPubSub(redis)));
  Spread spread;
  ASSERT_TRUE(SpreadClients(nodes, "rx-news", &spread));
  ASSERT_TRUE(HasSubscribers(redis, "rx-news", 3));
  ASSERT_TRUE(PollUntil([&] { return HasGroup(redis, "rx"); }));
  std::string lines;
  for (int n = 1; n <= 30; ++n) lines += Json{{"n", n}}.dump() + "\n";
  auto sent = CableBroadcast({"--adapter", "redisx", "--redis-url", redis.url(), "--redisx-stream",
                              "rx", "--stream", "rx-news"},
                             lines);
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  for (size_t i = 0; i < spread.clients.size(); ++i) {
    auto got = ReceiveNumbers(spread.clients[i], 30);
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, Range(1, 30)) << "client " << i;
    EXPECT_TRUE(ReceivesNothing(spread.clients[i])) << "client " << i << ": a duplicate";
  }
  EXPECT_TRUE(PollUntil([&] {
    return redis.Command({"XLEN", "rx"}) == 0;
  })) << "processed entries are deleted";
}

TEST_F(MultiNodeTest, OneRedisxConsumerKeepsTheOrder) {
  RedisServer redis;
  auto consumer = StartNode(
      {"--broadcast_adapter", "http,redisx", "--redis_url", redis.url(), "--redisx_stream", "rx1"});
  auto other = StartNode(RedisPubSub(redis));
  std::vector<std::unique_ptr<CableServer>> nodes;
  nodes.push_back(std::move(consumer));
  nodes.push_back(std::move(other));
  Spread spread;
  ASSERT_TRUE(SpreadClients(nodes, "rx1-news", &spread));
  ASSERT_TRUE(HasSubscribers(redis, "rx1-news", 2));
  ASSERT_TRUE(PollUntil([&] { return HasGroup(redis, "rx1"); }));
  std::string lines;
  for (int n = 1; n <= 50; ++n) lines += Json{{"n", n}}.dump() + "\n";
  auto sent = CableBroadcast({"--adapter", "redisx", "--redis-url", redis.url(), "--redisx-stream",
                              "rx1", "--stream", "rx1-news"},
                             lines);
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  ExpectEveryClientGetsEachOnceInOrder(spread, 50);
  ASSERT_FALSE(redis.Command({"XINFO", "CONSUMERS", "rx1", "bx"}).empty());
  EXPECT_EQ(nodes[0]->process().Stop(), 0);
  EXPECT_EQ(redis.Command({"XINFO", "CONSUMERS", "rx1", "bx"}), Json::array())
      << "a node that stops with nothing pending leaves the group";
}

}  // namespace
}  // namespace cable::testing
