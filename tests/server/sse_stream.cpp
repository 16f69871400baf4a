#include "server/sse_stream.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "support/tls_certs.h"

namespace cable::testing {

namespace {
using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}
}  // namespace

std::string SseStream::Get(const std::string& target, const std::string& extra) {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n" + extra +
         "\r\n";
}

std::string SseStream::Post(const std::string& target, const std::string& body,
                            const std::string& extra) {
  return "POST " + target +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         extra + "\r\n" + body;
}

SseStream::SseStream(int port, const std::string& request, bool tls) {
  fd_ = ConnectTcp(port);
  if (fd_ < 0) return;
  if (tls) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_load_verify_locations(ctx_, Certs().cert.c_str(), nullptr);
    ssl_ = SSL_new(ctx_);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
    SSL_set_fd(ssl_, fd_);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (SSL_connect(ssl_) != 1) return;
  }
  size_t off = 0;
  while (off < request.size()) {
    const ssize_t n =
        ssl_ ? SSL_write(ssl_, request.data() + off, static_cast<int>(request.size() - off))
             : ::send(fd_, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
  const auto deadline = Clock::now() + kReceiveTimeout;
  while (raw_.find("\r\n\r\n") == std::string::npos) {
    if (!Fill(deadline)) return;
  }
  const size_t head_end = raw_.find("\r\n\r\n");
  RawResponse r;
  r.head = raw_.substr(0, head_end);
  r.status = std::atoi(r.head.c_str() + 9);
  raw_.erase(0, head_end + 4);
  chunked_ = r.Header("Transfer-Encoding") == "chunked";
  if (!chunked_) {
    const size_t length = std::strtoul(r.Header("Content-Length").c_str(), nullptr, 10);
    while (raw_.size() < length && Fill(deadline)) {
    }
    r.body = raw_.substr(0, length);
    raw_.erase(0, std::min(length, raw_.size()));
  }
  response_ = std::move(r);
  Dechunk();
}

SseStream::~SseStream() {
  Close();
}

void SseStream::Close() {
  if (ssl_) SSL_free(ssl_);
  if (ctx_) SSL_CTX_free(ctx_);
  ssl_ = nullptr;
  ctx_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool SseStream::Fill(Clock::time_point deadline) {
  if (fd_ < 0 || ended_) return false;
  while (true) {
    if (!(ssl_ && SSL_pending(ssl_) > 0)) {
      pollfd p{fd_, POLLIN, 0};
      const int rc = ::poll(&p, 1, MillisLeft(deadline));
      if (rc < 0 && errno == EINTR) continue;
      if (rc == 0) return false;
    }
    char buf[16384];
    const ssize_t n = ssl_ ? SSL_read(ssl_, buf, sizeof buf) : ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      raw_.append(buf, static_cast<size_t>(n));
      Dechunk();
      return true;
    }
    if (n < 0 && !ssl_ && (errno == EAGAIN || errno == EINTR)) continue;
    ended_ = true;  // closed (or reset)
    return false;
  }
}

void SseStream::Dechunk() {
  if (!chunked_) return;
  while (!ended_) {
    const size_t eol = raw_.find("\r\n");
    if (eol == std::string::npos) return;
    const size_t size = std::strtoul(raw_.substr(0, eol).c_str(), nullptr, 16);
    if (raw_.size() < eol + 2 + size + 2) return;
    if (size == 0) {
      ended_ = true;
      return;
    }
    body_.append(raw_, eol + 2, size);
    raw_.erase(0, eol + 2 + size + 2);
  }
}

std::optional<SseEvent> SseStream::Next(std::chrono::milliseconds timeout, bool pings) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    const size_t end = body_.find("\n\n", parsed_);
    if (end != std::string::npos) {
      std::string_view block(body_.data() + parsed_, end - parsed_);
      parsed_ = end + 2;
      SseEvent event;
      bool has_data = false;
      while (!block.empty()) {
        const size_t nl = block.find('\n');
        std::string_view line = block.substr(0, nl);
        block = nl == std::string_view::npos ? std::string_view{} : block.substr(nl + 1);
        const size_t colon = line.find(':');
        std::string_view field = line.substr(0, colon);
        std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        if (field == "event") event.type = value;
        if (field == "id") event.id = value;
        if (field == "retry") event.retry = value;
        if (field == "data") {
          if (has_data) event.data += '\n';
          event.data += value;
          has_data = true;
        }
      }
      if (event.type == "ping" && !pings) continue;
      return event;
    }
    if (!Fill(deadline)) return std::nullopt;
  }
}

bool SseStream::WaitForEnd(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!ended_) {
    if (!Fill(deadline) && !ended_) return false;
  }
  return true;
}

}  // namespace cable::testing
