// Broadcast ingress adapters of `cable serve` (spec §8.2) end to end: the
// real `cable broadcast` binary publishes over HTTP, Redis Pub/Sub, Redis
// Streams and NATS to a real `cable serve` whose WebSocket clients must
// receive it. Each adapter runs the same cases: delivery, order of batches
// and of consecutive publications, exclude_socket, remote disconnect, and
// bodies that are not publications.

#include <gtest/gtest.h>

#include "common/broadcast/publisher.h"
#include "server/cluster_helpers.h"
#include "support/nats_server.h"
#include "support/redis_server.h"

namespace cable::testing {
namespace {

class BroadcastAdapterTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    if (!RedisServer::Available() || !NatsServer::Available()) return;
    redis_ = new RedisServer();
    nats_ = new NatsServer();
  }
  static void TearDownTestSuite() {
    delete redis_;
    delete nats_;
    redis_ = nullptr;
    nats_ = nullptr;
  }

  void SetUp() override {
    if (redis_ == nullptr) GTEST_SKIP() << "redis-server or nats-server not installed";
    adapter_ = GetParam();
    // Names of its own per test: nothing published by an earlier test can
    // reach this one.
    channel_ = "ch-" + std::to_string(++counter_);
    ServeOptions options;
    options.backend = AnytWithTestChannels();
    // `http` is always on: CableServer waits for the broadcast port.
    options.args = {"--broadcast_adapter",
                    adapter_ == "http" ? "http" : "http," + adapter_,
                    "--redis_url",
                    redis_->url(),
                    "--redis_channel",
                    channel_,
                    "--redisx_stream",
                    channel_,
                    "--nats_servers",
                    nats_->url(),
                    "--nats_channel",
                    channel_,
                    "--pubsub",
                    "none"};
    server_ = std::make_unique<CableServer>(options);
    ASSERT_TRUE(AdapterReady()) << server_->process().Stderr();
  }

  // Arguments that make `cable broadcast` publish through this adapter.
  std::vector<std::string> Target() const {
    if (adapter_ == "http") {
      return {"--adapter", "http", "--url",
              "http://127.0.0.1:" + std::to_string(server_->broadcast_port()) + "/_broadcast"};
    }
    if (adapter_ == "nats") {
      return {"--adapter", "nats", "--nats-servers", nats_->url(), "--nats-channel", channel_};
    }
    return {"--adapter",       adapter_, "--redis-url",     redis_->url(),
            "--redis-channel", channel_, "--redisx-stream", channel_};
  }

  ::testing::AssertionResult Send(std::vector<std::string> args, std::string stdin_data = "") {
    auto target = Target();
    args.insert(args.end(), target.begin(), target.end());
    auto r = CableBroadcast(args, std::move(stdin_data));
    if (r.exit_code == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "cable broadcast exited " << r.exit_code << ": " << r.err;
  }

  // A publisher in this process, for probes and raw bodies.
  std::unique_ptr<broadcast::Publisher> Publisher() const {
    broadcast::PublisherConfig c;
    c.adapter = adapter_;
    c.http_url = "http://127.0.0.1:" + std::to_string(server_->broadcast_port()) + "/_broadcast";
    c.redis_url = redis_->url();
    c.redis_channel = channel_;
    c.redisx_stream = channel_;
    c.nats_servers = nats_->url();
    c.nats_channel = channel_;
    auto p = broadcast::MakePublisher(c);
    EXPECT_TRUE(p.ok()) << p.error().message;
    return p.ok() ? std::move(p.value()) : nullptr;
  }

  // The adapter receives from now on. Redis shows its subscription or
  // consumer group; a NATS subscription is proven by a probe arriving
  // (WarmUp with the clients of each test).
  ::testing::AssertionResult AdapterReady() {
    if (adapter_ == "redis") return HasSubscribers(*redis_, channel_, 1);
    if (adapter_ == "redisx") {
      if (PollUntil([&] { return HasGroup(*redis_, channel_); }))
        return ::testing::AssertionSuccess();
      return ::testing::AssertionFailure() << "no consumer group on stream " << channel_;
    }
    return ::testing::AssertionSuccess();
  }

  // Subscribes `clients` to `stream` and, for NATS, proves the path live.
  ::testing::AssertionResult Subscribe(const std::vector<ws::Client*>& clients,
                                       const std::string& stream) {
    for (auto* c : clients) {
      auto r = Subscribes(*c, StreamIdentifier(stream));
      if (!r) return r;
    }
    if (adapter_ != "nats") return ::testing::AssertionSuccess();
    auto publisher = Publisher();
    return WarmUp(clients, StreamIdentifier(stream), [&](const Json& payload) {
      // WarmUp publishes probes until one arrives, so a failed one is just retried.
      publisher->Publish({stream, payload.dump(), std::nullopt}).IgnoreError();
    });
  }

  static RedisServer* redis_;
  static NatsServer* nats_;
  static int counter_;
  std::string adapter_;
  std::string channel_;
  std::unique_ptr<CableServer> server_;
};
RedisServer* BroadcastAdapterTest::redis_ = nullptr;
NatsServer* BroadcastAdapterTest::nats_ = nullptr;
int BroadcastAdapterTest::counter_ = 0;

TEST_P(BroadcastAdapterTest, PublicationReachesEverySubscriber) {
  ASSERT_CONNECTED(first, ConnectWelcomed(*server_));
  ASSERT_CONNECTED(second, ConnectWelcomed(*server_));
  ASSERT_TRUE(Subscribe({&first, &second}, "news"));
  ASSERT_TRUE(Send({"--stream", "news", "--data", R"({"text":"hello"})"}));
  const auto id = StreamIdentifier("news");
  EXPECT_TRUE(ReceivesMessage(first, Received(id, {{"text", "hello"}})));
  EXPECT_TRUE(ReceivesMessage(second, Received(id, {{"text", "hello"}})));
}

TEST_P(BroadcastAdapterTest, BatchesAndConsecutivePublicationsKeepTheirOrder) {
  ASSERT_CONNECTED(client, ConnectWelcomed(*server_));
  ASSERT_TRUE(Subscribe({&client}, "ordered"));
  std::string batch, singles;
  for (int n = 1; n <= 20; ++n) batch += Json{{"n", n}}.dump() + "\n";
  for (int n = 21; n <= 40; ++n) singles += Json{{"n", n}}.dump() + "\n";
  ASSERT_TRUE(Send({"--stream", "ordered", "--batch"}, batch));
  ASSERT_TRUE(Send({"--stream", "ordered"}, singles));
  EXPECT_EQ(ReceiveNumbers(client, 40), Range(1, 40));
  EXPECT_TRUE(ReceivesNothing(client)) << "each publication arrives once";
}

TEST_P(BroadcastAdapterTest, ExcludeSocketSkipsThatSessionOnly) {
  ASSERT_CONNECTED(excluded, ConnectWelcomed(*server_, "/cable", {{"X-Request-ID", "sid-ex"}}));
  ASSERT_CONNECTED(other, ConnectWelcomed(*server_, "/cable", {{"X-Request-ID", "sid-other"}}));
  ASSERT_TRUE(Subscribe({&excluded, &other}, "exclude"));
  ASSERT_TRUE(
      Send({"--stream", "exclude", "--data", R"("to others")", "--exclude-socket", "sid-ex"}));
  ASSERT_TRUE(Send({"--stream", "exclude", "--data", R"("to all")"}));
  const auto id = StreamIdentifier("exclude");
  EXPECT_TRUE(ReceivesMessage(other, Received(id, "to others")));
  EXPECT_TRUE(ReceivesMessage(other, Received(id, "to all")));
  EXPECT_TRUE(ReceivesMessage(excluded, Received(id, "to all")))
      << "the excluded session skips only the publication that names it";
}

TEST_P(BroadcastAdapterTest, RemoteDisconnectClosesThatUsersSessions) {
  const std::string uid = "remote-" + adapter_;
  ASSERT_CONNECTED(target, ConnectWelcomed(*server_, "/cable?test=uid&uid=" + uid));
  ASSERT_CONNECTED(bystander, ConnectWelcomed(*server_, "/cable?test=uid&uid=other"));
  if (adapter_ == "nats") {
    ASSERT_TRUE(Subscribe({&target}, "nats-ready"));
  }
  ASSERT_TRUE(Send({"--disconnect", Json{{"uid", uid}}.dump()}));
  EXPECT_TRUE(ReceivesMessage(
      target, {{"type", "disconnect"}, {"reason", "remote"}, {"reconnect", false}}));
  EXPECT_TRUE(ReceivesClose(target, 1000));
  EXPECT_TRUE(Pongs(bystander));
}

TEST_P(BroadcastAdapterTest, BodiesThatAreNotPublicationsAreSkipped) {
  if (adapter_ == "http") GTEST_SKIP() << "covered by http_broadcast_test (422)";
  ASSERT_CONNECTED(client, ConnectWelcomed(*server_));
  ASSERT_TRUE(Subscribe({&client}, "invalid"));
  auto publisher = Publisher();
  ASSERT_TRUE(publisher);
  for (const char* body : {"not json", R"({"stream":"invalid","data":{"n":1}})", "[]", "42"}) {
    ASSERT_TRUE(publisher->PublishRaw(body).ok()) << body;
  }
  ASSERT_TRUE(Send({"--stream", "invalid", "--data", R"("sentinel")"}));
  EXPECT_TRUE(ReceivesMessage(client, Received(StreamIdentifier("invalid"), "sentinel")))
      << "the adapter survives bad bodies and delivers nothing from them";
  EXPECT_TRUE(server_->process().running());
}

INSTANTIATE_TEST_SUITE_P(Adapters, BroadcastAdapterTest,
                         ::testing::Values("http", "redis", "redisx", "nats"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace cable::testing
