#include "server/redis/redis_connection.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/time.h>

#include <cerrno>

#include "common/broadcast/redis_open.h"
#include "common/sigpipe.h"

namespace cable::server {
std::string_view ReplyString(const redisReply* r) {
  if (r == nullptr) return {};
  if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS &&
      r->type != REDIS_REPLY_ERROR) {
    return {};
  }
  return std::string_view(r->str, r->len);
}

RedisConnection::RedisConnection(broadcast::RedisUrl url, std::chrono::milliseconds timeout)
    : url_(std::move(url)), timeout_(timeout) {
  IgnoreSigpipeOnce();
}

RedisConnection::~RedisConnection() {
  Close();
}

void RedisConnection::Close() {
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
}

Error RedisConnection::IoError(std::string_view during) {
  Error e{"io_error", fmt::format("connection to Redis at {} lost during {}: {}", Authority(),
                                  during, ctx_ && ctx_->err ? ctx_->errstr : "closed")};
  Close();
  return e;
}

Status RedisConnection::Connect() {
  Close();
  // Writes are bounded by the timeout; reads never block (they follow poll).
  auto opened = broadcast::OpenRedis(url_, timeout_);
  if (!opened.ok()) return opened.error();
  ctx_ = *opened;
  return Status::Ok();
}

void RedisConnection::Append(const std::vector<std::string_view>& args) {
  if (!ctx_) return;
  broadcast::RedisArgv a(args);
  redisAppendCommandArgv(ctx_, a.count(), a.argv.data(), a.lens.data());
}

Status RedisConnection::Flush() {
  if (!ctx_) return Error{"io_error", "not connected to Redis"};
  int done = 0;
  while (!done) {
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) return IoError("write");
  }
  return Status::Ok();
}

Result<RedisReply> RedisConnection::Read(const Waker& waker, std::chrono::milliseconds timeout) {
  if (!ctx_) return Error{"io_error", "not connected to Redis"};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(ctx_, &raw) != REDIS_OK) return IoError("read");
    if (raw != nullptr) return RedisReply(static_cast<redisReply*>(raw));

    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Error{"timeout", "no reply from Redis"};
    pollfd fds[2] = {{ctx_->fd, POLLIN, 0}, {waker.fd(), POLLIN, 0}};
    int rc = poll(fds, 2, static_cast<int>(left.count()));
    if (rc < 0) {
      if (errno == EINTR) continue;
      return IoError("poll");
    }
    if (fds[0].revents != 0) {
      // Readable, closed or failed: one read() tells which, and never blocks.
      if (redisBufferRead(ctx_) != REDIS_OK) return IoError("read");
      continue;
    }
    if (fds[1].revents != 0) return Error{"woken", "woken"};
  }
}

Result<RedisReply> RedisConnection::Command(const std::vector<std::string_view>& args,
                                            const Waker& waker) {
  Append(args);
  if (Status s = Flush(); !s) return s.error();
  auto reply = Read(waker, timeout_);
  if (!reply.ok()) {
    // A command whose reply is still to come leaves the connection out of
    // step (woken, timed out); start over on a fresh one.
    Close();
    return reply;
  }
  if ((*reply)->type == REDIS_REPLY_ERROR) {
    return Error{"redis_error",
                 fmt::format("Redis {} failed: {}", args[0], ReplyString(reply->get()))};
  }
  return reply;
}

}  // namespace cable::server
