#include "common/broadcast/redis_wire.h"

#include <fmt/format.h>
#include <hiredis/read.h>
#include <poll.h>

#include <cerrno>

namespace cable::broadcast {

std::string_view ReplyString(const redisReply* r) {
  if (r == nullptr) return {};
  if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS &&
      r->type != REDIS_REPLY_ERROR) {
    return {};
  }
  return std::string_view(r->str, r->len);
}

RedisWire::RedisWire(std::unique_ptr<RedisSocket> socket, std::string authority)
    : socket_(std::move(socket)), authority_(std::move(authority)), reader_(redisReaderCreate()) {}

RedisWire::~RedisWire() {
  redisReaderFree(reader_);
}

void RedisWire::Append(const std::vector<std::string_view>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (auto a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  char* cmd = nullptr;
  int len = redisFormatCommandArgv(&cmd, static_cast<int>(argv.size()), argv.data(), lens.data());
  if (len > 0) out_.append(cmd, static_cast<size_t>(len));
  redisFreeCommand(cmd);
}

Status RedisWire::Flush(Clock::time_point deadline) {
  Status s = socket_->WriteAll(out_, deadline);
  out_.clear();
  return s;
}

Result<std::optional<RedisReply>> RedisWire::TakeReply() {
  void* raw = nullptr;
  if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
    return Error{codes::kIoError, fmt::format("bad reply from Redis at {}: {}", authority_,
                                              redisReaderGetError(reader_))};
  }
  if (raw == nullptr) return std::optional<RedisReply>();
  partial_bytes_ = 0;
  return std::optional<RedisReply>(RedisReply(static_cast<redisReply*>(raw)));
}

Status RedisWire::ReadAvailable() {
  char buf[16 * 1024];
  // Up to a few buffers per call, so one busy connection cannot starve its
  // owner's other work; TLS records already decrypted are always taken.
  for (int i = 0; i < 8; ++i) {
    auto n = socket_->ReadSome(buf, sizeof buf);
    if (!n.ok()) return n.error();
    if (*n == 0) return Status::Ok();
    partial_bytes_ += *n;
    if (partial_bytes_ > kMaxRedisReplyBytes) {
      return Error{codes::kIoError, fmt::format("a reply from Redis at {} exceeds {} MiB",
                                                authority_, kMaxRedisReplyBytes >> 20)};
    }
    if (redisReaderFeed(reader_, buf, *n) != REDIS_OK) {
      return Error{codes::kIoError, fmt::format("bad reply from Redis at {}: {}", authority_,
                                                redisReaderGetError(reader_))};
    }
    if (*n < sizeof buf && !socket_->Buffered()) return Status::Ok();
  }
  return Status::Ok();
}

Result<RedisReply> RedisWire::Command(const std::vector<std::string_view>& args,
                                      std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  Append(args);
  if (Status s = Flush(deadline); !s) return s.error();
  for (;;) {
    auto reply = TakeReply();
    if (!reply.ok()) return reply.error();
    if (*reply) return std::move(**reply);
    if (!socket_->Buffered()) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      pollfd p{fd(), POLLIN, 0};
      int rc = left > 0 ? poll(&p, 1, static_cast<int>(left)) : 0;
      if (rc < 0 && errno == EINTR) continue;
      if (rc == 0) {
        return Error{codes::kTimeout, fmt::format("Redis at {} did not answer {} within {} ms",
                                                  authority_, args[0], timeout.count())};
      }
    }
    if (Status s = ReadAvailable(); !s) return s.error();
  }
}

}  // namespace cable::broadcast
