#pragma once
// The Redis protocol over a RedisSocket (plain or TLS): commands encoded by
// hiredis' redisFormatCommandArgv into an output buffer, replies decoded by
// hiredis' redisReader from the bytes read. The owner chooses how to wait:
// Command() blocks up to a timeout; the server's threads poll fd() next to
// their wakers and call ReadAvailable() when it is readable.
//
// Replies are bounded: a reply that grows beyond kMaxRedisReplyBytes (the
// bytes received since the last complete reply) fails the connection rather
// than the process.

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/broadcast/redis_socket.h"
#include "common/result.h"

namespace cable::broadcast {

inline constexpr size_t kMaxRedisReplyBytes = size_t{64} << 20;

struct RedisReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyDeleter>;

// The string of a status/string/error reply, or empty.
std::string_view ReplyString(const redisReply* r);

class RedisWire {
 public:
  using Clock = RedisSocket::Clock;

  RedisWire(std::unique_ptr<RedisSocket> socket, std::string authority);
  ~RedisWire();
  RedisWire(const RedisWire&) = delete;
  RedisWire& operator=(const RedisWire&) = delete;

  int fd() const { return socket_->fd(); }
  // "host:port", for messages.
  const std::string& authority() const { return authority_; }

  // Queues a command; nothing is sent yet.
  void Append(const std::vector<std::string_view>& args);
  // Sends everything queued. Errors as RedisSocket::WriteAll.
  Status Flush(Clock::time_point deadline);
  // A complete reply from the bytes read so far, if there is one. Errors:
  // "io_error" (not the Redis protocol).
  Result<std::optional<RedisReply>> TakeReply();
  // Whether bytes are waiting that poll() would not report (TLS).
  bool Buffered() const { return socket_->Buffered(); }
  // Reads what the socket has without waiting and feeds it to the reader.
  // Errors: "closed", "io_error" (including a reply beyond the bound).
  Status ReadAvailable();

  // Append + Flush + wait for the reply, everything within `timeout`. A
  // reply of type error is returned as a reply (callers word the error).
  // Errors: "timeout" and those above.
  Result<RedisReply> Command(const std::vector<std::string_view>& args,
                             std::chrono::milliseconds timeout);

 private:
  std::unique_ptr<RedisSocket> socket_;
  std::string authority_;
  redisReader* reader_;
  std::string out_;
  size_t partial_bytes_ = 0;  // fed since the last complete reply
};

}  // namespace cable::broadcast
