#pragma once
// Publishers over a synchronous Redis connection (plain, TLS or through
// Sentinel; see OpenRedis):
//   redis  (Pub/Sub):       PUBLISH <channel> <body>
//   redisx (Redis Streams): XADD <stream> * payload <body>
//
// Connects lazily (AUTH and SELECT as the URL says). After a connection
// failure the context is dropped and the next call reconnects. A command that
// fails because a reused connection was found closed by the server (e.g. a
// Redis restart) is sent once more on a fresh connection. Connect and every
// command are bounded by `timeout`.
//
// OpenSSL writes with write(2), which raises SIGPIPE on a closed socket; the
// first RedisPublisher sets SIGPIPE to ignored if it still has its default
// (terminate) disposition.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/broadcast/publisher.h"
#include "common/broadcast/redis_url.h"
#include "common/broadcast/redis_wire.h"

namespace cable::broadcast {

class RedisPublisher : public Publisher {
 public:
  enum class Mode { kPubSub, kStream };

  // `target` is the channel (kPubSub) or the stream key (kStream).
  RedisPublisher(RedisUrl url, Mode mode, std::string target, std::chrono::milliseconds timeout);
  ~RedisPublisher() override;
  RedisPublisher(const RedisPublisher&) = delete;
  RedisPublisher& operator=(const RedisPublisher&) = delete;

  Status PublishRaw(const std::string& body) override;
  // PUBLISH on `channel` instead of the configured one (kPubSub only).
  Status PublishOn(std::string_view channel, std::string_view body);

  int connections_opened() const { return connections_; }

 private:
  Status Connect();
  void Drop();
  // Runs one command; `*stale` tells whether it failed because the connection
  // was already closed by the server before the command could run.
  Status Run(const std::vector<std::string_view>& args, bool* stale);
  // Runs `args` on the kept connection, once more on a fresh one when the
  // kept one turns out to have been closed.
  Status RunWithRetry(const std::vector<std::string_view>& args);

  RedisUrl url_;
  Mode mode_;
  std::string target_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<RedisWire> wire_;
  int connections_ = 0;
};

}  // namespace cable::broadcast
