#pragma once
// The byte stream under a Redis connection: a non-blocking TCP socket, with
// TLS on top for rediss://. Connecting (TCP and the TLS handshake) and
// writing wait at most until a deadline; reading never waits, so the owner
// decides how to wait (poll() on fd(), next to its own wake-up fds).
//
// With TLS, OpenSSL may hold decrypted bytes the kernel no longer shows as
// readable: owners check Buffered() before they poll.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/broadcast/redis_url.h"
#include "common/result.h"

struct ssl_st;

namespace cable::broadcast {

class RedisSocket {
 public:
  using Clock = std::chrono::steady_clock;

  RedisSocket() = default;
  ~RedisSocket();
  RedisSocket(const RedisSocket&) = delete;
  RedisSocket& operator=(const RedisSocket&) = delete;

  // Errors: "unreachable" (resolve, connect or TLS handshake failed; the
  // message says why, e.g. the certificate verification failure), "timeout",
  // "tls" (the TLS settings themselves, e.g. an unreadable CA file).
  // `tls` null: plain TCP.
  static Result<std::unique_ptr<RedisSocket>> Connect(const std::string& host, int port,
                                                      const RedisTls* tls,
                                                      Clock::time_point deadline);

  int fd() const { return fd_; }
  // TLS bytes already decrypted and waiting to be read.
  bool Buffered() const;

  // Writes all of `data`. Errors: "closed" (reset or broken pipe), "timeout",
  // "io_error".
  Status WriteAll(std::string_view data, Clock::time_point deadline);
  // Reads what is available without waiting: > 0 bytes read; 0 nothing yet.
  // Errors: "closed" (EOF or reset), "io_error".
  Result<size_t> ReadSome(char* buf, size_t size);

 private:
  Status StartTls(const std::string& host, const RedisTls& tls, Clock::time_point deadline);
  // Waits until the socket is ready for `events`; false at the deadline.
  bool WaitFor(short events, Clock::time_point deadline) const;

  int fd_ = -1;
  ssl_st* ssl_ = nullptr;
};

}  // namespace cable::broadcast
