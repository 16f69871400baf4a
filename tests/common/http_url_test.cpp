#include <gtest/gtest.h>

#include "common/broadcast/redis_url.h"
#include "common/http/url.h"

namespace cable {
namespace {

TEST(HttpUrl, ParsesHostPortAndTarget) {
  auto u = http::ParseUrl("http://localhost:8090/_broadcast?x=1");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->scheme, "http");
  EXPECT_EQ(u->host, "localhost");
  EXPECT_EQ(u->port, 8090);
  EXPECT_EQ(u->target, "/_broadcast?x=1");
  EXPECT_EQ(u->HostHeader(), "localhost:8090");
}

TEST(HttpUrl, DefaultsAndIpv6) {
  auto u = http::ParseUrl("HTTP://example.com");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->target, "/");
  EXPECT_EQ(u->HostHeader(), "example.com");
  auto s = http::ParseUrl("https://example.com/p");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->port, 443);
  auto v6 = http::ParseUrl("http://[::1]:8080/_broadcast");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->HostHeader(), "[::1]:8080");
}

TEST(HttpUrl, Rejects) {
  for (const char* bad : {"localhost:8080", "ftp://x/", "http://", "http://h:0/", "http://h:99999/",
                          "http://h:x/", "http://u:p@h/", "http://h/#frag", "http://[::1/"}) {
    auto u = http::ParseUrl(bad);
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_EQ(u.error().code, "bad_url") << bad;
  }
}

TEST(RedisUrl, Parses) {
  auto u = broadcast::ParseRedisUrl("redis://:p%40ss@redis.local:6380/3");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->host, "redis.local");
  EXPECT_EQ(u->port, 6380);
  EXPECT_EQ(u->password, "p@ss");
  EXPECT_EQ(u->username, "");
  EXPECT_EQ(u->db, 3);

  auto acl = broadcast::ParseRedisUrl("redis://app:secret@127.0.0.1");
  ASSERT_TRUE(acl.ok());
  EXPECT_EQ(acl->username, "app");
  EXPECT_EQ(acl->password, "secret");
  EXPECT_EQ(acl->port, 6379);
  EXPECT_EQ(acl->db, 0);

  auto bare = broadcast::ParseRedisUrl("redis://localhost:6379");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->Authority(), "localhost:6379");
}

TEST(RedisUrl, RedissMeansTls) {
  auto tls = broadcast::ParseRedisUrl("rediss://:pw@redis.example:6380/2");
  ASSERT_TRUE(tls.ok()) << tls.error().message;
  EXPECT_TRUE(tls->tls);
  EXPECT_EQ(tls->port, 6380);
  EXPECT_EQ(tls->db, 2);
  // Verification is on unless turned off.
  EXPECT_TRUE(tls->tls_settings.verify);
  EXPECT_FALSE(broadcast::ParseRedisUrl("redis://localhost")->tls);
}

TEST(RedisUrl, RejectsGarbage) {
  for (const char* bad : {"localhost:6379", "http://x", "redis://h:port", "redis://h/db",
                          "redis://h:70000", "unix:///tmp/redis.sock"}) {
    EXPECT_FALSE(broadcast::ParseRedisUrl(bad).ok()) << bad;
  }
}

TEST(RedisUrl, SentinelsAsAnycableGoReadsThem) {
  auto u = broadcast::ParseRedisUrl("redis://mymaster/1");
  ASSERT_TRUE(u.ok());
  ASSERT_TRUE(broadcast::AddRedisSentinels(*u, "user:p%40ss@s1:26380, s2,[::1]:5000").ok());
  ASSERT_EQ(u->sentinels.size(), 3u);
  EXPECT_EQ(u->sentinels[0].host, "s1");
  EXPECT_EQ(u->sentinels[0].port, 26380);
  // Without a port: Sentinel's default, not Redis'.
  EXPECT_EQ(u->sentinels[1].host, "s2");
  EXPECT_EQ(u->sentinels[1].port, 26379);
  EXPECT_EQ(u->sentinels[2].host, "::1");
  EXPECT_EQ(u->sentinels[2].port, 5000);
  // Credentials given with the sentinels are the master's, as in anycable-go.
  EXPECT_EQ(u->username, "user");
  EXPECT_EQ(u->password, "p@ss");
  EXPECT_EQ(u->host, "mymaster");
  EXPECT_EQ(u->db, 1);
  EXPECT_TRUE(u->UsesSentinel());
  EXPECT_EQ(u->Authority(), "master mymaster");

  auto own = broadcast::ParseRedisUrl("redis://:mine@mymaster");
  ASSERT_TRUE(broadcast::AddRedisSentinels(*own, "rediss://x:theirs@s1").ok());
  EXPECT_EQ(own->password, "mine");
  EXPECT_TRUE(own->tls);

  auto none = broadcast::ParseRedisUrl("redis://localhost");
  ASSERT_TRUE(broadcast::AddRedisSentinels(*none, "").ok());
  EXPECT_FALSE(none->UsesSentinel());
  EXPECT_FALSE(broadcast::AddRedisSentinels(*none, "s1:notaport").ok());
}

}  // namespace
}  // namespace cable
