#pragma once
// The host[:port] part of a URL, shared by the http:// and redis:// URL
// parsers: names, IPv4, and bracketed IPv6 literals.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace cable::net {

struct HostPort {
  std::string host;       // without IPv6 brackets; may be empty
  std::string_view port;  // the port's text, empty when none was given
};

// Splits an authority without user info. An Error's message says what is
// wrong ("unterminated IPv6 address", "empty port", ...); callers put it in
// their own sentence.
Result<HostPort> SplitHostPort(std::string_view authority);

// "host:port", with brackets around an IPv6 host.
std::string JoinHostPort(const std::string& host, int port);

}  // namespace cable::net
