#include "common/broadcast/redis_socket.h"

#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/net/host_port.h"
#include "common/tls_client.h"

namespace cable::broadcast {
namespace {

int MillisLeft(RedisSocket::Clock::time_point deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - RedisSocket::Clock::now())
          .count();
  return left < 0 ? 0 : static_cast<int>(std::min<long>(left, 1 << 30));
}

std::string OpenSslReason() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "connection closed";
  const char* reason = ERR_reason_error_string(e);
  return reason ? reason : "TLS error";
}

// A connection the server dropped, as opposed to a local failure.
bool IsDrop(int err) {
  return err == ECONNRESET || err == EPIPE || err == ENOTCONN;
}

}  // namespace

RedisSocket::~RedisSocket() {
  if (ssl_) SSL_free(ssl_);
  if (fd_ >= 0) ::close(fd_);
}

bool RedisSocket::WaitFor(short events, Clock::time_point deadline) const {
  for (;;) {
    pollfd p{fd_, events, 0};
    int rc = poll(&p, 1, MillisLeft(deadline));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return true;  // the next call reports the failure
  }
}

Result<std::unique_ptr<RedisSocket>> RedisSocket::Connect(const std::string& host, int port,
                                                          const RedisTls* tls,
                                                          Clock::time_point deadline) {
  const std::string where = net::JoinHostPort(host, port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
      rc != 0 || res == nullptr) {
    return Error{codes::kUnreachable,
                 fmt::format("cannot connect to Redis at {}: {}", where, gai_strerror(rc))};
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(res, freeaddrinfo);
  std::string why = "no address";
  // Every address in turn (e.g. "localhost" as ::1, then 127.0.0.1).
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    auto sock = std::make_unique<RedisSocket>();
    sock->fd_ = ::socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (sock->fd_ < 0) {
      why = std::strerror(errno);
      continue;
    }
    if (::connect(sock->fd_, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      why = std::strerror(errno);
      continue;
    }
    if (!sock->WaitFor(POLLOUT, deadline)) {
      return Error{codes::kTimeout, fmt::format("cannot connect to Redis at {}: timed out", where)};
    }
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(sock->fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      why = std::strerror(err);
      continue;
    }
    int one = 1;
    setsockopt(sock->fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // A peer that vanished without a FIN is noticed even on idle connections.
    setsockopt(sock->fd_, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    if (tls) {
      if (Status s = sock->StartTls(host, *tls, deadline); !s) {
        Error e = s.error();
        e.message = fmt::format("cannot connect to Redis at {}: {}", where, e.message);
        return e;
      }
    }
    return sock;
  }
  return Error{codes::kUnreachable, fmt::format("cannot connect to Redis at {}: {}", where, why)};
}

Status RedisSocket::StartTls(const std::string& host, const RedisTls& tls,
                             Clock::time_point deadline) {
  auto ctx = tls::MakeClientContext({tls.verify, tls.ca_file, tls.cert_file, tls.key_file});
  if (!ctx.ok()) return ctx.error();
  ssl_ = SSL_new(ctx->get());  // the SSL holds its own reference to the context
  if (!ssl_ || SSL_set_fd(ssl_, fd_) != 1) return Error{"tls", "cannot set up TLS"};
  if (tls.verify) tls::ExpectPeerName(ssl_, host);
  // A server that closes without close_notify (a restart, an idle timeout)
  // is a closed connection, not a protocol failure: the Redis protocol
  // delimits its own replies, so truncation cannot pass unnoticed.
  SSL_set_options(ssl_, SSL_OP_IGNORE_UNEXPECTED_EOF);
  for (;;) {
    ERR_clear_error();
    int rc = SSL_connect(ssl_);
    if (rc == 1) return Status::Ok();
    short events = POLLIN;
    switch (SSL_get_error(ssl_, rc)) {
      case SSL_ERROR_WANT_READ:
        break;
      case SSL_ERROR_WANT_WRITE:
        events = POLLOUT;
        break;
      default: {
        std::string why = OpenSslReason();
        if (std::string failure = tls::VerifyFailure(ssl_); !failure.empty()) {
          why = "certificate verification failed: " + failure;
        }
        return Error{codes::kUnreachable, "TLS handshake failed: " + why};
      }
    }
    if (!WaitFor(events, deadline)) return Error{codes::kTimeout, "TLS handshake timed out"};
  }
}

bool RedisSocket::Buffered() const {
  return ssl_ && SSL_has_pending(ssl_) == 1;
}

Status RedisSocket::WriteAll(std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    short events = POLLOUT;
    long n;
    int err = 0;
    if (ssl_) {
      ERR_clear_error();
      n = SSL_write(ssl_, data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 30)));
      if (n <= 0) {
        switch (SSL_get_error(ssl_, static_cast<int>(n))) {
          case SSL_ERROR_WANT_READ:
            events = POLLIN;
            err = EAGAIN;
            break;
          case SSL_ERROR_WANT_WRITE:
            err = EAGAIN;
            break;
          case SSL_ERROR_SYSCALL:
            err = errno != 0 ? errno : EPIPE;
            break;
          default:
            return Error{codes::kClosed, "TLS write failed: " + OpenSslReason()};
        }
      }
    } else {
      n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) err = errno;
    }
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EWOULDBLOCK) {
      if (!WaitFor(events, deadline)) return Error{codes::kTimeout, "write timed out"};
      continue;
    }
    return Error{IsDrop(err) ? codes::kClosed : codes::kIoError, std::strerror(err)};
  }
  return Status::Ok();
}

Result<size_t> RedisSocket::ReadSome(char* buf, size_t size) {
  if (ssl_) {
    ERR_clear_error();
    int n = SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(size, 1 << 30)));
    if (n > 0) return static_cast<size_t>(n);
    switch (SSL_get_error(ssl_, n)) {
      // A renegotiation wanting to write is rare enough to just retry on
      // the next readable event.
      case SSL_ERROR_WANT_READ:
      case SSL_ERROR_WANT_WRITE:
        return size_t{0};
      case SSL_ERROR_ZERO_RETURN:
        return Error{codes::kClosed, "closed by the server"};
      case SSL_ERROR_SYSCALL:
        return Error{codes::kClosed, errno != 0 ? std::strerror(errno) : "closed by the server"};
      default:
        return Error{codes::kIoError, "TLS read failed: " + OpenSslReason()};
    }
  }
  for (;;) {
    long n = ::recv(fd_, buf, size, 0);
    if (n > 0) return static_cast<size_t>(n);
    if (n == 0) return Error{codes::kClosed, "closed by the server"};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return size_t{0};
    return Error{IsDrop(errno) ? codes::kClosed : codes::kIoError, std::strerror(errno)};
  }
}

}  // namespace cable::broadcast
