// The actioncable-redis publisher against a real redis-server: what Rails'
// Redis subscription adapter would receive from ActionCable.server.broadcast
// and remote_connections.where(...).disconnect, through the library and
// through `cable broadcast`.

#include <gtest/gtest.h>

#include "common/broadcast/actioncable_redis_publisher.h"
#include "common/broadcast/publisher.h"
#include "support/process.h"
#include "support/redis_server.h"

namespace cable::broadcast {
namespace {

using testing::RedisServer;
using testing::RedisSubscriber;

Publication Pub(const std::string& stream, const std::string& data) {
  Publication p;
  p.stream = stream;
  p.data = data;
  return p;
}

std::unique_ptr<Publisher> Make(const RedisServer& redis, const std::string& prefix) {
  PublisherConfig c;
  c.adapter = "actioncable-redis";
  c.redis_url = redis.url();
  c.actioncable_channel_prefix = prefix;
  auto p = MakePublisher(c);
  EXPECT_TRUE(p.ok()) << p.error().message;
  return std::move(*p);
}

TEST(ActionCableRedisPublisher, PublishesTheMessageOnThePrefixedStream) {
  if (!RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
  RedisServer redis;
  RedisSubscriber prefixed(redis.port(), "myapp:chat_42");
  RedisSubscriber bare(redis.port(), "chat_42");

  auto with_prefix = Make(redis, "myapp");
  ASSERT_TRUE(with_prefix->Publish(Pub("chat_42", R"({"text":"hi"})")).ok());
  EXPECT_EQ(prefixed.Next(), R"({"text":"hi"})");

  auto without = Make(redis, "");
  ASSERT_TRUE(without->Publish(Pub("chat_42", R"("plain")")).ok());
  EXPECT_EQ(bare.Next(), R"("plain")");
  EXPECT_EQ(prefixed.Next(std::chrono::milliseconds(100)), std::nullopt);
}

TEST(ActionCableRedisPublisher, BatchesAndRawBodiesBecomeOnePublishEach) {
  if (!RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
  RedisServer redis;
  RedisSubscriber a(redis.port(), "a");
  RedisSubscriber b(redis.port(), "b");
  auto p = Make(redis, "");
  ASSERT_TRUE(p->PublishRaw(R"([{"stream":"a","data":"1"},{"stream":"b","data":"2"}])").ok());
  EXPECT_EQ(a.Next(), "1");
  EXPECT_EQ(b.Next(), "2");
  ASSERT_TRUE(p->PublishRaw(R"({"stream":"a","data":"{\"n\":3}"})").ok());
  EXPECT_EQ(a.Next(), R"({"n":3})");
}

TEST(ActionCableRedisPublisher, RemoteDisconnectGoesToTheConnectionsInternalChannel) {
  if (!RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
  RedisServer redis;
  // Identifier values sorted and joined by ':', as connection_identifier.
  RedisSubscriber internal(redis.port(), "app:action_cable/7:gid://app/User/42");
  auto p = Make(redis, "app");
  ASSERT_TRUE(p->Disconnect({R"({"user":"gid://app/User/42","room":7})", true}).ok());
  EXPECT_EQ(internal.Next(), R"({"type":"disconnect","reconnect":true})");
  ASSERT_TRUE(
      p->PublishRaw(
           R"({"command":"disconnect","payload":{"identifier":"{\"room\":7,\"user\":\"gid://app/User/42\"}","reconnect":false}})")
          .ok());
  EXPECT_EQ(internal.Next(), R"({"type":"disconnect","reconnect":false})");
}

TEST(ActionCableRedisPublisher, RefusesWhatActionCableCannotCarry) {
  if (!RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
  RedisServer redis;
  auto p = Make(redis, "");
  Publication excluded = Pub("a", "1");
  excluded.exclude_socket = "sid";
  EXPECT_EQ(p->Publish(excluded).error().code, "unsupported");
  Publication transient = Pub("a", "1");
  transient.transient = true;
  EXPECT_EQ(p->Publish(transient).error().code, "unsupported");
  EXPECT_EQ(p->PublishRaw("not json").error().code, "invalid_message");
  EXPECT_EQ(p->PublishRaw(R"({"stream":1})").error().code, "invalid_message");
  EXPECT_EQ(p->PublishRaw(std::string(100, '[') + std::string(100, ']')).error().code,
            "invalid_message");
}

TEST(ActionCableRedisPublisher, ConnectionIdentifierIsActionCables) {
  EXPECT_EQ(ActionCableConnectionIdentifier(R"({"uid":"26"})"), "26");
  EXPECT_EQ(ActionCableConnectionIdentifier(R"({"b":"y","a":"x","n":3})"), "3:x:y");
  EXPECT_EQ(ActionCableConnectionIdentifier("plain"), "plain");
}

TEST(ActionCableRedisPublisher, CableBroadcastUsesIt) {
  if (!RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
  RedisServer redis;
  RedisSubscriber sub(redis.port(), "myapp_production:chat_42");
  auto r = testing::Run({testing::CableBinary(), "broadcast", "--adapter", "actioncable-redis",
                         "--redis-url", redis.url(), "--channel-prefix", "myapp_production",
                         "--stream", "chat_42", "--data", R"({"text":"hi"})"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(sub.Next(), R"({"text":"hi"})");
}

}  // namespace
}  // namespace cable::broadcast
