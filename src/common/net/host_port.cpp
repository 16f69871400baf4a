#include "common/net/host_port.h"

namespace cable::net {

Result<HostPort> SplitHostPort(std::string_view authority) {
  HostPort out;
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return Error{"bad_url", "unterminated IPv6 address"};
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Error{"bad_url", "unexpected text after IPv6 address"};
      out.port = after.substr(1);
      if (out.port.empty()) return Error{"bad_url", "empty port"};
    }
    return out;
  }
  auto colon = authority.rfind(':');
  out.host = std::string(authority.substr(0, colon));
  if (colon != std::string_view::npos) {
    out.port = authority.substr(colon + 1);
    if (out.port.empty()) return Error{"bad_url", "empty port"};
  }
  return out;
}

std::string JoinHostPort(const std::string& host, int port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace cable::net
