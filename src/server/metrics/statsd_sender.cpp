#include "server/metrics/statsd_sender.h"

#include <fcntl.h>
#include <netdb.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "common/log.h"

namespace cable::server {

Result<std::unique_ptr<StatsdSender>> StatsdSender::Create(const std::string& host_port) {
  const size_t colon = host_port.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Error{"config", "--statsd_host: expected host:port, got \"" + host_port + "\""};
  }
  std::string host = host_port.substr(0, colon);
  std::string port = host_port.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (ec != std::errc() || end != port.data() + port.size() || number < 1 || number > 65535) {
    return Error{"config", "--statsd_host: bad port in \"" + host_port + "\""};
  }
  std::unique_ptr<StatsdSender> sender(new StatsdSender(std::move(host), std::move(port)));
  sender->Resolve();
  return sender;
}

StatsdSender::~StatsdSender() {
  if (fd_ >= 0) ::close(fd_);
}

bool StatsdSender::Resolve() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host_.c_str(), port_.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    // Once: a StatsD host that is down for a while must not fill the log.
    if (!warned_) {
      log::Warn("StatsD host {}:{} does not resolve ({}); metrics are not sent until it does",
                host_, port_, gai_strerror(rc));
      warned_ = true;
    }
    return false;
  }
  const int fd = ::socket(found->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    std::memcpy(&addr_, found->ai_addr, found->ai_addrlen);
    addr_len_ = found->ai_addrlen;
    fd_ = fd;
  }
  ::freeaddrinfo(found);
  return fd_ >= 0;
}

bool StatsdSender::Send(std::string_view packet) {
  if (fd_ < 0 && !Resolve()) return false;
  const ssize_t n = ::sendto(fd_, packet.data(), packet.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                             reinterpret_cast<const sockaddr*>(&addr_), addr_len_);
  return n == static_cast<ssize_t>(packet.size());
}

}  // namespace cable::server
