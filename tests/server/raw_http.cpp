#include "server/raw_http.h"

#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <utility>

namespace cable::testing {

namespace {
using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}
}  // namespace

std::string RawResponse::Header(std::string_view name) const {
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos) {
    const size_t start = pos + 2;
    const size_t end = head.find("\r\n", start);
    std::string_view line(head.data() + start,
                          (end == std::string::npos ? head.size() : end) - start);
    const size_t colon = line.find(':');
    if (colon == name.size() && strncasecmp(line.data(), name.data(), name.size()) == 0) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
      }
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
        value.remove_suffix(1);
      }
      return std::string(value);
    }
    pos = end;
  }
  return {};
}

RawConnection::RawConnection(int port) : fd_(ConnectTcp(port)) {}

RawConnection::~RawConnection() {
  Close();
}

RawConnection::RawConnection(RawConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)) {}

RawConnection& RawConnection::operator=(RawConnection&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

void RawConnection::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

size_t RawConnection::SendSome(std::string_view bytes, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  size_t sent = 0;
  while (fd_ >= 0 && sent < bytes.size()) {
    pollfd p{fd_, POLLOUT, 0};
    const int rc = ::poll(&p, 1, MillisLeft(deadline));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0 || (p.revents & (POLLERR | POLLHUP))) break;
    const ssize_t n =
        ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  return sent;
}

bool RawConnection::Send(std::string_view bytes, std::chrono::milliseconds timeout) {
  return SendSome(bytes, timeout) == bytes.size();
}

bool RawConnection::Fill(Clock::time_point deadline, std::string* why) {
  if (fd_ < 0) {
    *why = "closed";
    return false;
  }
  while (true) {
    pollfd p{fd_, POLLIN, 0};
    const int rc = ::poll(&p, 1, MillisLeft(deadline));
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) {
      *why = "timeout";
      return false;
    }
    char buf[16384];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      buffer_.append(buf, static_cast<size_t>(n));
      return true;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    *why = n == 0 ? "closed" : std::string("closed: ") + std::strerror(errno);
    return false;
  }
}

RawResponse RawConnection::ReadResponse(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  RawResponse out;
  size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill(deadline, &out.error)) return out;
  }
  out.head = buffer_.substr(0, end);
  buffer_.erase(0, end + 4);
  if (out.head.rfind("HTTP/1.", 0) != 0 || out.head.size() < 12) {
    out.error = "not HTTP: " + out.head.substr(0, 80);
    out.head.clear();
    return out;
  }
  out.status = std::atoi(out.head.c_str() + 9);
  if (out.status < 200 && out.status >= 100) return out;  // interim or 101: no body
  const std::string length = out.Header("Content-Length");
  const size_t want = length.empty() ? 0 : std::strtoull(length.c_str(), nullptr, 10);
  while (buffer_.size() < want) {
    std::string why;
    if (!Fill(deadline, &why)) {
      out.error = "body cut short: " + why;
      break;
    }
  }
  out.body = buffer_.substr(0, std::min(want, buffer_.size()));
  buffer_.erase(0, out.body.size());
  return out;
}

bool RawConnection::WaitForClose(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return true;
  buffer_.clear();
  return WaitForTcpClose(fd_, timeout);
}

std::string PostHead(const std::string& target, size_t content_length, const std::string& bearer,
                     const std::string& extra) {
  std::string head = "POST " + target +
                     " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: " +
                     std::to_string(content_length) + "\r\n";
  if (!bearer.empty()) head += "Authorization: Bearer " + bearer + "\r\n";
  return head + extra + "\r\n";
}

std::string UpgradeRequest(const std::string& target, const std::string& version) {
  return "GET " + target +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: " +
         version + "\r\nSec-WebSocket-Protocol: actioncable-v1-json\r\n\r\n";
}

std::string PublicationOfSize(const std::string& stream, size_t size) {
  const std::string prefix = R"({"stream":")" + stream + R"(","data":"\")";
  const std::string suffix = R"(\""})";
  const size_t fixed = prefix.size() + suffix.size();
  return prefix + std::string(size > fixed ? size - fixed : 0, 'x') + suffix;
}

std::string NestedArrays(size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

size_t ResidentBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  }
  return 0;
}

}  // namespace cable::testing
