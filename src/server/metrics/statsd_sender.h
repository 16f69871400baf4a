#pragma once
// The UDP side of --statsd_host. The address is resolved once, when the
// sender is made (and again before a send only while it has never
// resolved), so no DNS lookup happens per flush; sends go through a
// non-blocking socket and a packet the kernel cannot take at once is
// dropped, as StatsD over UDP allows: metrics must never hold the server up.

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace cable::server {

class StatsdSender {
 public:
  // `host_port` is "host:port" or "[v6]:port"; an Error when it is not.
  // A name that does not resolve yet is not an error: it is retried.
  static Result<std::unique_ptr<StatsdSender>> Create(const std::string& host_port);
  ~StatsdSender();
  StatsdSender(const StatsdSender&) = delete;
  StatsdSender& operator=(const StatsdSender&) = delete;

  // False when the packet was not handed to the kernel (dropped).
  bool Send(std::string_view packet);
  bool resolved() const { return fd_ >= 0; }

 private:
  StatsdSender(std::string host, std::string port)
      : host_(std::move(host)), port_(std::move(port)) {}
  bool Resolve();

  std::string host_, port_;
  int fd_ = -1;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  bool warned_ = false;
};

}  // namespace cable::server
