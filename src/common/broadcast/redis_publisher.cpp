#include "common/broadcast/redis_publisher.h"

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cstring>

#include "common/broadcast/redis_open.h"
#include "common/sigpipe.h"

namespace cable::broadcast {
namespace {

// A server that closed an idle connection shows up as EOF (FIN) or a reset on
// the next command; a timeout (EAGAIN) means the server may be busy with the
// command, so that is never treated as stale.
bool LooksStale(const redisContext* c) {
  if (c->err == REDIS_ERR_EOF) return true;
  if (c->err != REDIS_ERR_IO) return false;
  return std::strcmp(c->errstr, std::strerror(ECONNRESET)) == 0 ||
         std::strcmp(c->errstr, std::strerror(EPIPE)) == 0;
}

bool IsTimeout(const redisContext* c) {
  return c->err == REDIS_ERR_IO && (std::strcmp(c->errstr, std::strerror(EAGAIN)) == 0 ||
                                    std::strcmp(c->errstr, std::strerror(ETIMEDOUT)) == 0);
}

}  // namespace

RedisPublisher::RedisPublisher(RedisUrl url, Mode mode, std::string target,
                               std::chrono::milliseconds timeout)
    : url_(std::move(url)), mode_(mode), target_(std::move(target)), timeout_(timeout) {
  IgnoreSigpipeOnce();
}

RedisPublisher::~RedisPublisher() {
  Drop();
}

void RedisPublisher::Drop() {
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
}

Status RedisPublisher::Connect() {
  Drop();
  auto opened = OpenRedis(url_, timeout_);
  if (!opened.ok()) return opened.error();
  ctx_ = *opened;
  ++connections_;
  return Status::Ok();
}

Status RedisPublisher::Run(const std::vector<std::string_view>& args, bool* stale) {
  *stale = false;
  RedisArgv a(args);
  auto* reply =
      static_cast<redisReply*>(redisCommandArgv(ctx_, a.count(), a.argv.data(), a.lens.data()));
  if (reply == nullptr) {
    *stale = LooksStale(ctx_);
    Error e = IsTimeout(ctx_)
                  ? Error{codes::kTimeout, fmt::format("Redis at {} did not answer {} within {} ms",
                                                       url_.Authority(), args[0], timeout_.count())}
                  : Error{codes::kIoError, fmt::format("Redis connection to {} failed: {}",
                                                       url_.Authority(), ctx_->errstr)};
    Drop();  // a hiredis context is unusable after an I/O error
    return e;
  }
  Status result = Status::Ok();
  if (reply->type == REDIS_REPLY_ERROR) {
    result = Error{codes::kRedisError, fmt::format("Redis {} failed: {}", args[0],
                                                   std::string(reply->str, reply->len))};
  }
  freeReplyObject(reply);
  return result;
}

Status RedisPublisher::PublishRaw(const std::string& body) {
  // Views, not copies: the body goes straight from the caller into hiredis.
  const std::vector<std::string_view> args =
      mode_ == Mode::kPubSub ? std::vector<std::string_view>{"PUBLISH", target_, body}
                             : std::vector<std::string_view>{"XADD", target_, "*", "payload", body};
  const bool reused = ctx_ != nullptr;
  if (!reused) {
    if (Status s = Connect(); !s) return s;
  }
  bool stale = false;
  Status s = Run(args, &stale);
  if (!s && reused && stale) {
    if (Status c = Connect(); !c) return c;
    s = Run(args, &stale);
  }
  return s;
}

}  // namespace cable::broadcast
