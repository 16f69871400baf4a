#pragma once
// Redis connection URLs in the form AnyCable accepts for --redis_url:
// redis://[[username]:password@]host[:port][/db]. Query parameters are
// ignored. rediss:// (TLS) is recognised and rejected with "unsupported".

#include <string>
#include <string_view>

#include "common/result.h"

namespace cable::broadcast {

struct RedisUrl {
  std::string host = "localhost";
  int port = 6379;
  std::string username;  // Redis 6 ACL user; empty = default user
  std::string password;  // empty = no AUTH
  int db = 0;            // SELECT db when non-zero

  // "host:port" for messages (never includes the password).
  std::string Authority() const;
};

// Errors: "bad_url", "unsupported" (rediss://, unix sockets).
Result<RedisUrl> ParseRedisUrl(std::string_view url);

}  // namespace cable::broadcast
