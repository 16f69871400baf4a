#pragma once
// Opening a hiredis connection the way a Redis URL asks, shared by the
// `cable broadcast` publisher and the server's Redis connections: connect
// with a timeout, the same timeout on later commands, TCP keepalive, then
// AUTH and SELECT when the URL has a password or a database.

#include <chrono>
#include <string_view>
#include <vector>

#include "common/broadcast/redis_url.h"
#include "common/result.h"

struct redisContext;

namespace cable::broadcast {

// Errors: "unreachable" (no connection), "unauthorized" (AUTH refused),
// "redis_error" (SELECT refused), "io_error" (the connection failed during
// either). The caller owns the context (redisFree).
Result<redisContext*> OpenRedis(const RedisUrl& url, std::chrono::milliseconds timeout);

// Arguments for hiredis' *Argv calls: views into the caller's strings.
struct RedisArgv {
  explicit RedisArgv(const std::vector<std::string_view>& args);
  int count() const { return static_cast<int>(argv.size()); }
  std::vector<const char*> argv;
  std::vector<size_t> lens;
};

}  // namespace cable::broadcast
