// Publishers against real peers: a recording HTTP server, redis-server and
// nats-server started on free loopback ports.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/broadcast/http_publisher.h"
#include "common/broadcast/nats_publisher.h"
#include "common/broadcast/publisher.h"
#include "common/broadcast/redis_publisher.h"
#include "support/http_sink.h"
#include "support/nats_server.h"
#include "support/process.h"
#include "support/redis_server.h"
#include "support/tls_certs.h"

namespace cable::broadcast {
namespace {

using namespace std::chrono_literals;
using testing::HttpSink;
using testing::NatsServer;
using testing::NatsSubscriber;
using testing::RedisServer;
using testing::RedisSubscriber;

const Publication kHello{"chat_42", R"({"text":"Hello"})", std::nullopt};

std::unique_ptr<Publisher> Make(const PublisherConfig& config) {
  auto p = MakePublisher(config);
  if (!p) ADD_FAILURE() << p.error().message;
  return p ? std::move(*p) : nullptr;
}

PublisherConfig HttpConfig(const HttpSink& sink, std::string key = "") {
  PublisherConfig c;
  c.adapter = "http";
  c.http_url = sink.url();
  c.broadcast_key = std::move(key);
  c.timeout_ms = 2000;
  return c;
}

// --- factory --------------------------------------------------------------

TEST(MakePublisher, RejectsUnknownAdapterAndBadUrls) {
  PublisherConfig c;
  c.adapter = "kafka";
  auto p = MakePublisher(c);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, "unknown_adapter");

  c.adapter = "http";
  c.http_url = "https://example.com/_broadcast";  // TLS: accepted, connects on publish
  EXPECT_TRUE(MakePublisher(c).ok());

  c.http_url = "localhost:8080";
  EXPECT_EQ(MakePublisher(c).error().code, "bad_url");

  c.adapter = "redis";
  c.redis_url = "rediss://localhost:6380";  // TLS: accepted, connects on publish
  EXPECT_TRUE(MakePublisher(c).ok());
  c.redis_url = "redis://mymaster";
  c.redis_sentinels = "s1:notaport";
  EXPECT_EQ(MakePublisher(c).error().code, "bad_url");
  c.redis_sentinels.clear();

  c.adapter = "nats";
  c.nats_servers = " , ";
  EXPECT_EQ(MakePublisher(c).error().code, "bad_url");
}

// --- http -----------------------------------------------------------------

TEST(HttpPublisher, PostsBodyWithBearerKey) {
  HttpSink sink;
  auto publisher = Make(HttpConfig(sink, "s3cret"));
  ASSERT_TRUE(publisher);
  Status s = publisher->Publish(kHello);
  ASSERT_TRUE(s.ok()) << s.error().message;

  auto requests = sink.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/_broadcast");
  EXPECT_EQ(requests[0].header("authorization"), "Bearer s3cret");
  EXPECT_EQ(requests[0].header("content-type"), "application/json");
  EXPECT_EQ(requests[0].header("host"), "127.0.0.1:" + std::to_string(sink.port()));
  EXPECT_EQ(requests[0].body, ToJson(kHello));
}

TEST(HttpPublisher, NoKeyOrNoneSendsNoAuthorization) {
  HttpSink sink;
  for (const char* key : {"", "none"}) {
    auto publisher = Make(HttpConfig(sink, key));
    ASSERT_TRUE(publisher->Publish(kHello).ok());
  }
  for (const auto& r : sink.requests()) EXPECT_EQ(r.header("authorization"), "");
}

TEST(HttpPublisher, BatchAndDisconnectBodies) {
  HttpSink sink;
  auto publisher = Make(HttpConfig(sink));
  std::vector<Publication> batch{kHello, {"b", "2", "sid"}};
  ASSERT_TRUE(publisher->PublishBatch(batch).ok());
  ASSERT_TRUE(publisher->Disconnect({R"({"user_id":42})", false}).ok());
  auto requests = sink.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].body, ToJson(batch));
  EXPECT_EQ(
      requests[1].body,
      R"({"command":"disconnect","payload":{"identifier":"{\"user_id\":42}","reconnect":false}})");
}

TEST(HttpPublisher, Maps401ToUnauthorized) {
  HttpSink sink;
  sink.set_status(401);
  auto publisher = Make(HttpConfig(sink, "wrong"));
  Status s = publisher->Publish(kHello);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "unauthorized");
  EXPECT_EQ(s.error().message, "broadcast key rejected (401)");
}

TEST(HttpPublisher, OtherStatusesNameTheStatus) {
  HttpSink sink;
  sink.set_status(422, "Unprocessable\n");
  auto publisher = Make(HttpConfig(sink));
  Status s = publisher->Publish(kHello);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "http_status");
  EXPECT_NE(s.error().message.find("422"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("Unprocessable"), std::string::npos) << s.error().message;

  sink.set_status(200);
  EXPECT_TRUE(publisher->Publish(kHello).ok());  // any 2xx is success
}

TEST(HttpPublisher, ReusesOneKeptAliveConnection) {
  HttpSink sink;
  HttpPublisher publisher(*http::ParseUrl(sink.url()), "k", 2s);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(publisher.Publish(kHello).ok());
  EXPECT_EQ(publisher.connections_opened(), 1);
  EXPECT_EQ(sink.connections_accepted(), 1);
  EXPECT_EQ(sink.requests().size(), 5u);
}

TEST(HttpPublisher, ReconnectsOnceWhenTheIdleConnectionWasClosed) {
  HttpSink sink;
  sink.set_close_after_response(true);
  HttpPublisher publisher(*http::ParseUrl(sink.url()), "", 2s);
  ASSERT_TRUE(publisher.Publish(kHello).ok());
  ASSERT_TRUE(sink.WaitForClosedConnections(1));
  Status s = publisher.Publish(kHello);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(publisher.connections_opened(), 2);
  EXPECT_EQ(sink.requests().size(), 2u);  // nothing was sent twice
}

TEST(HttpPublisher, TimesOutOnASilentServer) {
  HttpSink sink;
  sink.set_unresponsive(true);
  HttpPublisher publisher(*http::ParseUrl(sink.url()), "", 300ms);
  const auto start = std::chrono::steady_clock::now();
  Status s = publisher.Publish(kHello);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(sink.requests().size(), 1u);  // a timed-out request is not retried
}

TEST(HttpPublisher, UnreachableServer) {
  PublisherConfig c;
  c.http_url = "http://127.0.0.1:" + std::to_string(testing::FreePort()) + "/_broadcast";
  auto publisher = Make(c);
  Status s = publisher->Publish(kHello);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "unreachable");
  EXPECT_NE(s.error().message.find("cannot connect"), std::string::npos) << s.error().message;
}

// --- redis / redisx -------------------------------------------------------

class RedisPublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
    redis_ = std::make_unique<RedisServer>();
  }
  PublisherConfig Config(const std::string& adapter) const {
    PublisherConfig c;
    c.adapter = adapter;
    c.redis_url = redis_->url();
    c.timeout_ms = 2000;
    return c;
  }
  std::unique_ptr<RedisServer> redis_;
};

TEST_F(RedisPublisherTest, PublishReachesSubscriber) {
  RedisSubscriber sub(redis_->port(), "__anycable__");
  auto publisher = Make(Config("redis"));
  ASSERT_TRUE(publisher->Publish(kHello).ok());
  EXPECT_EQ(sub.Next(), ToJson(kHello));
  ASSERT_TRUE(publisher->Disconnect({"u1", true}).ok());
  EXPECT_EQ(sub.Next(), ToJson(RemoteDisconnect{"u1", true}));
}

TEST_F(RedisPublisherTest, CustomChannel) {
  RedisSubscriber sub(redis_->port(), "custom");
  auto config = Config("redis");
  config.redis_channel = "custom";
  auto publisher = Make(config);
  ASSERT_TRUE(publisher->Publish(kHello).ok());
  EXPECT_EQ(sub.Next(), ToJson(kHello));
}

TEST_F(RedisPublisherTest, StreamEntriesCarryPayloadField) {
  auto publisher = Make(Config("redisx"));
  ASSERT_TRUE(publisher->Publish(kHello).ok());
  ASSERT_TRUE(publisher->Publish({"b", "2", std::nullopt}).ok());
  auto entries = redis_->Command({"XRANGE", "__anycable__", "-", "+"});
  ASSERT_TRUE(entries.is_array()) << entries.dump();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0][1], nlohmann::json({"payload", ToJson(kHello)}));
  EXPECT_EQ(entries[1][1][1], R"({"stream":"b","data":"2"})");
}

TEST_F(RedisPublisherTest, SelectsDatabaseFromUrl) {
  auto config = Config("redisx");
  config.redis_url += "/3";
  config.redisx_stream = "s";
  ASSERT_TRUE(Make(config)->Publish(kHello).ok());
  EXPECT_EQ(redis_->Command({"XLEN", "s"}), 0);
  // Scripts may SELECT without affecting the calling connection.
  EXPECT_EQ(
      redis_->Command({"EVAL", "redis.call('SELECT', 3) return redis.call('XLEN', 's')", "0"}), 1);
}

TEST_F(RedisPublisherTest, AuthenticatesWithPasswordFromUrl) {
  ASSERT_EQ(redis_->Command({"CONFIG", "SET", "requirepass", "pw"}), "OK");
  auto config = Config("redis");
  config.redis_url = "redis://:pw@127.0.0.1:" + std::to_string(redis_->port());
  EXPECT_TRUE(Make(config)->Publish(kHello).ok());

  config.redis_url = "redis://:wrong@127.0.0.1:" + std::to_string(redis_->port());
  Status s = Make(config)->Publish(kHello);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "unauthorized");

  config.redis_url = redis_->url();
  s = Make(config)->Publish(kHello);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "redis_error");
  EXPECT_NE(s.error().message.find("NOAUTH"), std::string::npos) << s.error().message;
}

TEST_F(RedisPublisherTest, RecoversAfterServerRestart) {
  RedisPublisher publisher(*ParseRedisUrl(redis_->url()), RedisPublisher::Mode::kPubSub,
                           "__anycable__", 2s);
  ASSERT_TRUE(publisher.Publish(kHello).ok());
  redis_->Restart();
  RedisSubscriber sub(redis_->port(), "__anycable__");
  // The old connection is dead; the very next publish reconnects and succeeds.
  Status s = publisher.Publish(kHello);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(publisher.connections_opened(), 2);
  EXPECT_EQ(sub.Next(), ToJson(kHello));
}

TEST_F(RedisPublisherTest, FailsWhileDownThenReconnects) {
  RedisPublisher publisher(*ParseRedisUrl(redis_->url()), RedisPublisher::Mode::kPubSub,
                           "__anycable__", 2s);
  ASSERT_TRUE(publisher.Publish(kHello).ok());
  redis_->Stop();
  Status s = publisher.Publish(kHello);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "unreachable") << s.error().message;
  redis_->Restart();
  RedisSubscriber sub(redis_->port(), "__anycable__");
  ASSERT_TRUE(publisher.Publish(kHello).ok());
  EXPECT_EQ(sub.Next(), ToJson(kHello));
}

// rediss://: the same publisher over TLS, including noticing that a reused
// TLS connection was closed by a restarted server.
TEST(RedisTlsPublisher, PublishesOverTlsAndRecoversAfterRestart) {
  if (!RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
  testing::RedisServerOptions options;
  options.tls = true;
  RedisServer redis(options);
  auto url = ParseRedisUrl(redis.tls_url());
  ASSERT_TRUE(url.ok());
  url->tls_settings.ca_file = testing::Certs().cert;
  RedisPublisher publisher(*url, RedisPublisher::Mode::kPubSub, "__anycable__", 2s);
  {
    RedisSubscriber sub(redis.port(), "__anycable__");
    ASSERT_TRUE(publisher.Publish(kHello).ok());
    EXPECT_EQ(sub.Next(), ToJson(kHello));
  }
  redis.Restart();
  RedisSubscriber sub(redis.port(), "__anycable__");
  Status s = publisher.Publish(kHello);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(publisher.connections_opened(), 2);
  EXPECT_EQ(sub.Next(), ToJson(kHello));

  // The system trust store does not know the self-signed certificate.
  url->tls_settings.ca_file.clear();
  RedisPublisher untrusting(*url, RedisPublisher::Mode::kPubSub, "__anycable__", 2s);
  s = untrusting.Publish(kHello);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "unreachable");
  EXPECT_NE(s.error().message.find("certificate verification failed"), std::string::npos)
      << s.error().message;
}

TEST(RedisPublisher, UnreachableServer) {
  PublisherConfig c;
  c.adapter = "redis";
  c.redis_url = "redis://127.0.0.1:" + std::to_string(testing::FreePort());
  Status s = Make(c)->Publish(kHello);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "unreachable");
  EXPECT_NE(s.error().message.find("cannot connect to Redis"), std::string::npos);
}

// --- nats -----------------------------------------------------------------

class NatsPublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!NatsServer::Available()) GTEST_SKIP() << "nats-server not installed";
    nats_ = std::make_unique<NatsServer>();
  }
  PublisherConfig Config() const {
    PublisherConfig c;
    c.adapter = "nats";
    c.nats_servers = nats_->url();
    c.timeout_ms = 2000;
    return c;
  }
  std::unique_ptr<NatsServer> nats_;
};

TEST_F(NatsPublisherTest, PublishReachesSubscriber) {
  NatsSubscriber sub(nats_->url(), "__anycable__");
  auto publisher = Make(Config());
  ASSERT_TRUE(publisher->Publish(kHello).ok());
  EXPECT_EQ(sub.Next(), ToJson(kHello));
}

TEST_F(NatsPublisherTest, CustomSubjectAndServerList) {
  NatsSubscriber sub(nats_->url(), "broadcasts");
  auto config = Config();
  // The first server is down; the client must fail over to the second.
  config.nats_servers =
      "nats://127.0.0.1:" + std::to_string(testing::FreePort()) + ", " + nats_->url();
  config.nats_channel = "broadcasts";
  auto publisher = Make(config);
  Status s = publisher->Publish(kHello);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(sub.Next(), ToJson(kHello));
}

TEST_F(NatsPublisherTest, RecoversAfterServerRestart) {
  auto publisher = Make(Config());
  ASSERT_TRUE(publisher->Publish(kHello).ok());
  nats_->Restart();
  NatsSubscriber sub(nats_->url(), "__anycable__");
  Status s = publisher->Publish(kHello);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(sub.Next(), ToJson(kHello));
}

TEST(NatsPublisher, UnreachableServer) {
  PublisherConfig c;
  c.adapter = "nats";
  c.nats_servers = "nats://127.0.0.1:" + std::to_string(testing::FreePort());
  c.timeout_ms = 1000;
  Status s = Make(c)->Publish(kHello);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "unreachable");
  EXPECT_NE(s.error().message.find("cannot connect to NATS"), std::string::npos);
}

}  // namespace
}  // namespace cable::broadcast
