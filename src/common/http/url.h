#pragma once
// http:// and https:// URLs as used for broadcast endpoints and HTTP RPC:
// scheme://host[:port][/path][?query]. Hosts may be names, IPv4 or bracketed
// IPv6 literals. User info and fragments are rejected rather than guessed at.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace cable::http {

struct Url {
  std::string scheme;  // "http" or "https", lowercased
  std::string host;    // without IPv6 brackets
  uint16_t port = 0;   // explicit, or 80/443 by scheme
  std::string target;  // path and query; "/" when the URL has no path

  // Value for the Host header: host, bracketed if IPv6, with the port unless default.
  std::string HostHeader() const;
  // "host:port" for messages.
  std::string Authority() const;
};

// Error code "bad_url" with a sentence naming what is wrong.
Result<Url> ParseUrl(std::string_view url);

}  // namespace cable::http
