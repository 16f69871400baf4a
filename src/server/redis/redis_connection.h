#pragma once
// One synchronous Redis connection (hiredis) driven by one dedicated thread.
// Every wait polls the socket together with a Waker, so the owner can stop
// or hand it new work at any moment; nothing blocks on the network beyond
// the connect and write timeouts.
//
// After any Error other than "woken" or "timeout" the connection is closed
// and the owner reconnects (with backoff) by calling Connect() again.

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/broadcast/redis_url.h"
#include "common/result.h"
#include "server/redis/waker.h"

namespace cable::server {

struct RedisReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyDeleter>;

class RedisConnection {
 public:
  explicit RedisConnection(broadcast::RedisUrl url,
                           std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  bool connected() const { return ctx_ != nullptr; }
  // "host:port", for messages.
  std::string Authority() const { return url_.Authority(); }

  // Connects, authenticates and selects the database from the URL.
  Status Connect();
  void Close();

  // Queues a command in the output buffer; nothing is sent yet.
  void Append(const std::vector<std::string_view>& args);
  // Sends everything queued.
  Status Flush();
  // The next reply. Waits until one arrives, `waker` fires (Error "woken";
  // the notification is left for the caller to drain) or `timeout` passes
  // (Error "timeout"); the connection stays usable after both.
  Result<RedisReply> Read(const Waker& waker, std::chrono::milliseconds timeout);
  // Append + Flush + Read; a reply of type error becomes Error "redis_error".
  // Any other Error (including "woken") closes the connection.
  Result<RedisReply> Command(const std::vector<std::string_view>& args, const Waker& waker);
  // The socket's fd (for polling while idle), or -1.
  int fd() const { return ctx_ ? ctx_->fd : -1; }

 private:
  Error IoError(std::string_view during);
  broadcast::RedisUrl url_;
  std::chrono::milliseconds timeout_;
  redisContext* ctx_ = nullptr;
};

// The string of a status/string reply, or empty.
std::string_view ReplyString(const redisReply* r);

}  // namespace cable::server
