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

TEST(RedisUrl, RejectsTlsAndGarbage) {
  auto tls = broadcast::ParseRedisUrl("rediss://localhost:6380");
  ASSERT_FALSE(tls.ok());
  EXPECT_EQ(tls.error().code, "unsupported");
  EXPECT_NE(tls.error().message.find("TLS"), std::string::npos);
  for (const char* bad :
       {"localhost:6379", "http://x", "redis://h:port", "redis://h/db", "redis://h:70000"}) {
    EXPECT_FALSE(broadcast::ParseRedisUrl(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace cable
