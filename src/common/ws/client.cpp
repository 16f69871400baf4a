#include "common/ws/client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/auth/base64.h"
#include "common/strings.h"
#include "common/tls_client.h"
#include "common/ws/frame.h"

namespace cable::ws {

namespace {
using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}
}  // namespace

Client::~Client() {
  Close();
}

Client::Client(Client&& other) noexcept {
  *this = std::move(other);
}

Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    ssl_ = std::exchange(other.ssl_, nullptr);
    status_ = other.status_;
    subprotocol_ = std::move(other.subprotocol_);
    response_headers_ = std::move(other.response_headers_);
    buffer_ = std::move(other.buffer_);
    tcp_closed_ = other.tcp_closed_;
    max_message_size_ = other.max_message_size_;
  }
  return *this;
}

void Client::Close() {
  if (ssl_) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status Client::StartTls(const ConnectOptions& options, Clock::time_point deadline) {
  tls::ClientTrust trust;
  trust.verify = options.tls_verify;
  trust.ca_file = options.tls_ca_file;
  auto ctx = tls::MakeClientContext(trust);
  if (!ctx.ok()) return ctx.error();
  ssl_ = SSL_new(ctx->get());  // the SSL holds its own reference to the context
  if (!ssl_ || SSL_set_fd(ssl_, fd_) != 1) return Error{"tls", "cannot set up TLS"};
  tls::ExpectPeerName(ssl_, options.host);
  while (true) {
    ERR_clear_error();
    int rc = SSL_connect(ssl_);
    if (rc == 1) return Status::Ok();
    short events = 0;
    switch (SSL_get_error(ssl_, rc)) {
      case SSL_ERROR_WANT_READ:
        events = POLLIN;
        break;
      case SSL_ERROR_WANT_WRITE:
        events = POLLOUT;
        break;
      default: {
        unsigned long e = ERR_get_error();
        std::string why = e ? ERR_reason_error_string(e) : "connection closed";
        if (std::string failure = tls::VerifyFailure(ssl_); !failure.empty()) why += ": " + failure;
        return Error{"tls", "TLS handshake failed: " + why};
      }
    }
    pollfd p{fd_, events, 0};
    if (poll(&p, 1, MillisLeft(deadline)) <= 0)
      return Error{codes::kTimeout, "TLS handshake timed out"};
  }
}

long Client::RawSend(const char* data, size_t len, short* events) {
  *events = POLLOUT;
  if (!ssl_) return ::send(fd_, data, len, MSG_NOSIGNAL);
  ERR_clear_error();
  int n = SSL_write(ssl_, data, static_cast<int>(std::min<size_t>(len, 1 << 30)));
  if (n > 0) return n;
  switch (SSL_get_error(ssl_, n)) {
    case SSL_ERROR_WANT_READ:
      *events = POLLIN;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_WANT_WRITE:
      errno = EAGAIN;
      return -1;
    default:
      errno = EPIPE;
      return -1;
  }
}

long Client::RawRecv(char* buf, size_t size, short* events) {
  *events = POLLIN;
  if (!ssl_) return ::recv(fd_, buf, size, 0);
  ERR_clear_error();
  int n = SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(size, 1 << 30)));
  if (n > 0) return n;
  switch (SSL_get_error(ssl_, n)) {
    case SSL_ERROR_WANT_WRITE:
      *events = POLLOUT;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_WANT_READ:
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      return 0;
    default:
      errno = ECONNRESET;
      return -1;
  }
}

bool Client::Buffered() const {
  return ssl_ && SSL_has_pending(ssl_) == 1;
}

std::string Client::ResponseHeader(const std::string& name) const {
  std::string n = Lower(name);
  for (const auto& [k, v] : response_headers_) {
    if (k == n) return v;
  }
  return {};
}

Result<Client> Client::Connect(const ConnectOptions& options) {
  const auto deadline = Clock::now() + options.timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(options.host.c_str(), std::to_string(options.port).c_str(), &hints, &res) != 0 ||
      !res) {
    return Error{"resolve", "cannot resolve " + options.host};
  }
  Client client;
  client.max_message_size_ = options.max_message_size;
  client.fd_ = ::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int rc = ::connect(client.fd_, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc != 0 && errno != EINPROGRESS) return Error{"connect", std::strerror(errno)};
  pollfd p{client.fd_, POLLOUT, 0};
  if (poll(&p, 1, MillisLeft(deadline)) <= 0) return Error{codes::kTimeout, "connect timed out"};
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(client.fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return Error{"connect", std::strerror(err)};
  int one = 1;
  setsockopt(client.fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (options.tls) {
    if (auto s = client.StartTls(options, deadline); !s.ok()) return s.error();
  }

  unsigned char nonce[16];
  RAND_bytes(nonce, sizeof nonce);
  std::string key =
      auth::Base64Encode(std::string_view(reinterpret_cast<char*>(nonce), sizeof nonce));
  std::string req = "GET " + options.target + " HTTP/1.1\r\nHost: " + options.host + ":" +
                    std::to_string(options.port) +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    "Sec-WebSocket-Key: " +
                    key + "\r\n";
  if (!options.subprotocols.empty()) {
    std::string list;
    for (const auto& s : options.subprotocols) list += (list.empty() ? "" : ", ") + s;
    req += "Sec-WebSocket-Protocol: " + list + "\r\n";
  }
  for (const auto& [k, v] : options.headers) req += k + ": " + v + "\r\n";
  req += "\r\n";
  if (auto s = client.WriteAll(req); !s.ok()) return s.error();

  // Read the response head.
  short events = POLLIN;
  while (client.buffer_.find("\r\n\r\n") == std::string::npos) {
    if (client.buffer_.size() > 64 * 1024) return Error{"protocol", "response head too large"};
    pollfd rp{client.fd_, events, 0};
    if (!client.Buffered() && poll(&rp, 1, MillisLeft(deadline)) <= 0)
      return Error{codes::kTimeout, "no upgrade response"};
    char buf[4096];
    long n = client.RawRecv(buf, sizeof buf, &events);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return Error{codes::kClosed, "connection closed during the upgrade"};
    client.buffer_.append(buf, static_cast<size_t>(n));
  }
  size_t end = client.buffer_.find("\r\n\r\n");
  std::string head = client.buffer_.substr(0, end);
  client.buffer_.erase(0, end + 4);
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  if (status_line.size() < 12) return Error{"protocol", "bad status line: " + status_line};
  client.status_ = std::atoi(status_line.c_str() + 9);
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    std::string line = head.substr(pos, e == std::string::npos ? std::string::npos : e - pos);
    pos = e == std::string::npos ? head.size() : e + 2;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    client.response_headers_.emplace_back(Lower(line.substr(0, colon)), value);
  }
  if (client.status_ != 101) {
    return Error{HttpStatusCode(client.status_), "upgrade refused: " + status_line};
  }
  client.subprotocol_ = client.ResponseHeader("sec-websocket-protocol");
  return client;
}

Status Client::WriteAll(std::string_view bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    short events = POLLOUT;
    long n = RawSend(bytes.data() + off, bytes.size() - off, &events);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, events, 0};
      if (poll(&p, 1, 5000) <= 0) return Error{codes::kTimeout, "write timed out"};
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return Error{codes::kClosed, std::string("write failed: ") + std::strerror(errno)};
  }
  return Status::Ok();
}

std::string EncodeClientFrame(uint8_t opcode, std::string_view payload, bool fin) {
  uint8_t mask[4];
  RAND_bytes(mask, sizeof mask);
  std::string frame;
  AppendMaskedFrame(frame, opcode, payload, mask, fin);
  return frame;
}

Status Client::SendFrame(uint8_t opcode, std::string_view payload) {
  return WriteAll(EncodeClientFrame(opcode, payload));
}

Status Client::SendText(std::string_view text) {
  return SendFrame(0x1, text);
}
Status Client::SendBinary(std::string_view data) {
  return SendFrame(0x2, data);
}
Status Client::SendRaw(std::string_view bytes) {
  return WriteAll(bytes);
}
Status Client::SendPing(std::string_view payload) {
  return SendFrame(0x9, payload);
}
Status Client::SendClose(uint16_t code, std::string_view reason) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason);
  return SendFrame(0x8, payload);
}

Result<Frame> Client::Receive(std::chrono::milliseconds timeout, bool return_control) {
  const auto deadline = Clock::now() + timeout;
  std::string message;
  uint8_t message_opcode = 0;
  short events = POLLIN;
  while (true) {
    // Try to parse one frame from the buffer.
    FrameHeader header;
    uint16_t error = 0;
    const auto status = ParseHeader(buffer_, UINT64_MAX, Sender::kServer, &header, &error);
    if (status == ParseStatus::kError) {
      return Error{"protocol",
                   "server frame breaks RFC 6455 (close code " + std::to_string(error) + ")"};
    }
    if (status == ParseStatus::kOk) {
      const uint64_t len = header.payload_len;
      const size_t hdr = header.header_len;
      if (message.size() + len > max_message_size_) {
        return Error{"protocol", "server message of " + std::to_string(message.size() + len) +
                                     " bytes exceeds the client's limit of " +
                                     std::to_string(max_message_size_)};
      }
      if (buffer_.size() >= hdr + len) {
        std::string payload = buffer_.substr(hdr, len);
        buffer_.erase(0, hdr + len);
        const auto opcode = static_cast<uint8_t>(header.opcode);
        const bool fin = header.fin;
        if (opcode == 0x9) {
          // A pong that cannot be written shows up as the next read's error.
          SendFrame(0xA, payload).IgnoreError();
          if (return_control) return Frame{Frame::kPing, payload, 0};
          continue;
        }
        if (opcode == 0xA) {
          if (return_control) return Frame{Frame::kPong, payload, 0};
          continue;
        }
        if (opcode == 0x8) {
          Frame f{Frame::kClose, {}, 1005};
          if (payload.size() >= 2) {
            f.close_code = static_cast<uint16_t>((uint8_t(payload[0]) << 8) | uint8_t(payload[1]));
            f.payload = payload.substr(2);
          }
          return f;
        }
        if (opcode != 0x0) message_opcode = opcode;
        message += payload;
        if (!fin) continue;
        return Frame{message_opcode == 0x2 ? Frame::kBinary : Frame::kText, std::move(message), 0};
      }
    }
    if (tcp_closed_) return Error{codes::kClosed, "connection closed"};
    if (!Buffered()) {
      pollfd p{fd_, events, 0};
      int left = MillisLeft(deadline);
      int rc = poll(&p, 1, left);
      if (rc == 0)
        return Error{codes::kTimeout, "no frame within " + std::to_string(timeout.count()) + " ms"};
      if (rc < 0) {
        if (errno == EINTR) continue;
        return Error{codes::kClosed, std::strerror(errno)};
      }
    }
    char buf[65536];
    long n = RawRecv(buf, sizeof buf, &events);
    if (n > 0) {
      buffer_.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      tcp_closed_ = true;
    }
  }
}

}  // namespace cable::ws
