#pragma once
// One synchronous Redis connection (plain or TLS, found through Sentinel when
// configured; see broadcast::OpenRedis) driven by one dedicated thread.
// Every wait polls the socket together with a Waker, so the owner can stop
// or hand it new work at any moment; nothing blocks on the network beyond
// the connect and write timeouts.
//
// After any Error other than "woken" or "timeout" the connection is closed
// and the owner reconnects (with backoff) by calling Connect() again.

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/broadcast/redis_url.h"
#include "common/broadcast/redis_wire.h"
#include "common/result.h"
#include "server/redis/waker.h"

namespace cable::server {

using broadcast::RedisReply;
using broadcast::ReplyString;

class RedisConnection {
 public:
  explicit RedisConnection(broadcast::RedisUrl url,
                           std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  bool connected() const { return wire_ != nullptr; }
  // "host:port" (of the master, with Sentinel, once connected), for messages.
  std::string Authority() const { return wire_ ? wire_->authority() : url_.Authority(); }

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
  // The same, waiting up to `reply_timeout` for the reply (a blocking read).
  Result<RedisReply> Command(const std::vector<std::string_view>& args, const Waker& waker,
                             std::chrono::milliseconds reply_timeout);
  // How long the owner lets the connection idle before it sends a PING,
  // and how long it then waits for the reply (capped: a live server
  // answers PING at once).
  std::chrono::milliseconds keepalive() const { return url_.keepalive; }
  std::chrono::milliseconds pong_timeout() const {
    return std::min<std::chrono::milliseconds>(url_.keepalive, std::chrono::seconds(10));
  }
  // The socket's fd (for polling while idle), or -1.
  int fd() const { return wire_ ? wire_->fd() : -1; }

 private:
  Error IoError(std::string_view during, const Error& cause);
  broadcast::RedisUrl url_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<broadcast::RedisWire> wire_;
};

}  // namespace cable::server
