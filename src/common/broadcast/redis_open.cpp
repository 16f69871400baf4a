#include "common/broadcast/redis_open.h"

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <string>

namespace cable::broadcast {

namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// Runs a setup command; frees the context on any failure.
Status Setup(redisContext* ctx, const RedisUrl& url, const std::vector<std::string_view>& args) {
  RedisArgv a(args);
  auto* reply =
      static_cast<redisReply*>(redisCommandArgv(ctx, a.count(), a.argv.data(), a.lens.data()));
  if (reply == nullptr) {
    return Error{codes::kIoError, fmt::format("connection to Redis at {} lost during {}: {}",
                                              url.Authority(), args[0], ctx->errstr)};
  }
  Status result = Status::Ok();
  if (reply->type == REDIS_REPLY_ERROR) {
    result = Error{args[0] == "AUTH" ? "unauthorized" : "redis_error",
                   fmt::format("Redis at {} refused {}: {}", url.Authority(), args[0],
                               std::string_view(reply->str, reply->len))};
  }
  freeReplyObject(reply);
  return result;
}

}  // namespace

RedisArgv::RedisArgv(const std::vector<std::string_view>& args) {
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (auto a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
}

Result<redisContext*> OpenRedis(const RedisUrl& url, std::chrono::milliseconds timeout) {
  redisContext* ctx = redisConnectWithTimeout(url.host.c_str(), url.port, ToTimeval(timeout));
  if (ctx == nullptr) return Error{codes::kIoError, "cannot allocate a Redis context"};
  if (ctx->err) {
    Error e{"unreachable",
            fmt::format("cannot connect to Redis at {}: {}", url.Authority(), ctx->errstr)};
    redisFree(ctx);
    return e;
  }
  redisSetTimeout(ctx, ToTimeval(timeout));
  redisEnableKeepAlive(ctx);
  Status s = Status::Ok();
  if (!url.password.empty()) {
    std::vector<std::string_view> auth{"AUTH"};
    if (!url.username.empty()) auth.push_back(url.username);
    auth.push_back(url.password);
    s = Setup(ctx, url, auth);
  }
  if (s.ok() && url.db != 0) {
    const std::string db = std::to_string(url.db);
    s = Setup(ctx, url, {"SELECT", db});
  }
  if (!s.ok()) {
    redisFree(ctx);
    return s.error();
  }
  return ctx;
}

}  // namespace cable::broadcast
