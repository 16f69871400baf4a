#include "server/redis/redis_connection.h"

#include <fmt/format.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

#include "common/broadcast/redis_open.h"
#include "common/sigpipe.h"

namespace cable::server {

RedisConnection::RedisConnection(broadcast::RedisUrl url, std::chrono::milliseconds timeout)
    : url_(std::move(url)), timeout_(timeout) {
  IgnoreSigpipeOnce();
}

RedisConnection::~RedisConnection() {
  Close();
}

void RedisConnection::Close() {
  wire_.reset();
}

Error RedisConnection::IoError(std::string_view during, const Error& cause) {
  Error e{codes::kIoError, fmt::format("connection to Redis at {} lost during {}: {}", Authority(),
                                       during, cause.message)};
  Close();
  return e;
}

Status RedisConnection::Connect() {
  Close();
  // With Sentinel this asks for the master again: after a failover the new
  // connection goes to the promoted replica.
  auto opened = broadcast::OpenRedis(url_, timeout_);
  if (!opened.ok()) return opened.error();
  wire_ = std::move(*opened);
  return Status::Ok();
}

void RedisConnection::Append(const std::vector<std::string_view>& args) {
  if (wire_) wire_->Append(args);
}

Status RedisConnection::Flush() {
  if (!wire_) return Error{codes::kIoError, "not connected to Redis"};
  if (Status s = wire_->Flush(broadcast::RedisWire::Clock::now() + timeout_); !s) {
    return IoError("write", s.error());
  }
  return Status::Ok();
}

Result<RedisReply> RedisConnection::Read(const Waker& waker, std::chrono::milliseconds timeout) {
  if (!wire_) return Error{codes::kIoError, "not connected to Redis"};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto reply = wire_->TakeReply();
    if (!reply.ok()) return IoError("read", reply.error());
    if (*reply) return std::move(**reply);

    // Bytes OpenSSL already decrypted are invisible to poll(): read them
    // first.
    if (!wire_->Buffered()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return Error{codes::kTimeout, "no reply from Redis"};
      pollfd fds[2] = {{wire_->fd(), POLLIN, 0}, {waker.fd(), POLLIN, 0}};
      int rc = poll(fds, 2, static_cast<int>(left.count()));
      if (rc < 0) {
        if (errno == EINTR) continue;
        return IoError("poll", Error{codes::kIoError, std::strerror(errno)});
      }
      if (rc == 0) continue;
      if (fds[0].revents == 0) {
        if (fds[1].revents != 0) return Error{codes::kWoken, "woken"};
        continue;
      }
    }
    // Readable, closed or failed: one non-blocking read tells which.
    if (Status s = wire_->ReadAvailable(); !s) return IoError("read", s.error());
  }
}

Result<RedisReply> RedisConnection::Command(const std::vector<std::string_view>& args,
                                            const Waker& waker) {
  return Command(args, waker, timeout_);
}

Result<RedisReply> RedisConnection::Command(const std::vector<std::string_view>& args,
                                            const Waker& waker,
                                            std::chrono::milliseconds reply_timeout) {
  Append(args);
  if (Status s = Flush(); !s) return s.error();
  auto reply = Read(waker, reply_timeout);
  if (!reply.ok()) {
    // A command whose reply is still to come leaves the connection out of
    // step (woken, timed out); start over on a fresh one.
    Close();
    return reply;
  }
  if ((*reply)->type == REDIS_REPLY_ERROR) {
    return Error{codes::kRedisError,
                 fmt::format("Redis {} failed: {}", args[0], ReplyString(reply->get()))};
  }
  return reply;
}

}  // namespace cable::server
