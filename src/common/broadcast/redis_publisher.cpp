#include "common/broadcast/redis_publisher.h"

#include <fmt/format.h>

#include "common/broadcast/redis_open.h"
#include "common/sigpipe.h"

namespace cable::broadcast {

RedisPublisher::RedisPublisher(RedisUrl url, Mode mode, std::string target,
                               std::chrono::milliseconds timeout)
    : url_(std::move(url)), mode_(mode), target_(std::move(target)), timeout_(timeout) {
  IgnoreSigpipeOnce();
}

RedisPublisher::~RedisPublisher() {
  Drop();
}

void RedisPublisher::Drop() {
  wire_.reset();
}

Status RedisPublisher::Connect() {
  Drop();
  auto opened = OpenRedis(url_, timeout_);
  if (!opened.ok()) return opened.error();
  wire_ = std::move(*opened);
  ++connections_;
  return Status::Ok();
}

Status RedisPublisher::Run(const std::vector<std::string_view>& args, bool* stale) {
  *stale = false;
  auto reply = wire_->Command(args, timeout_);
  if (!reply.ok()) {
    // A server that closed an idle connection shows up as EOF or a reset on
    // the next command; a timeout means the server may be busy with the
    // command, so that is never treated as stale.
    *stale = reply.error().IsClosed();
    Error e = reply.error().IsTimeout()
                  ? reply.error()
                  : Error{codes::kIoError, fmt::format("Redis connection to {} failed: {}",
                                                       wire_->authority(), reply.error().message)};
    Drop();  // the reply, if any, would arrive out of step
    return e;
  }
  if ((*reply)->type == REDIS_REPLY_ERROR) {
    return Error{codes::kRedisError,
                 fmt::format("Redis {} failed: {}", args[0], ReplyString(reply->get()))};
  }
  return Status::Ok();
}

Status RedisPublisher::PublishRaw(const std::string& body) {
  // Views, not copies: the body goes straight from the caller into the
  // command buffer.
  return RunWithRetry(mode_ == Mode::kPubSub
                          ? std::vector<std::string_view>{"PUBLISH", target_, body}
                          : std::vector<std::string_view>{"XADD", target_, "*", "payload", body});
}

Status RedisPublisher::PublishOn(std::string_view channel, std::string_view body) {
  return RunWithRetry({"PUBLISH", channel, body});
}

Status RedisPublisher::RunWithRetry(const std::vector<std::string_view>& args) {
  const bool reused = wire_ != nullptr;
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
