#pragma once
// The pieces of a request that handlers read: URL host/path/query and the
// cookie header. Lenient by design: a malformed piece yields what could be
// read, never an error, as a Rails app would see it.

#include <string>
#include <string_view>

#include "rpc/json.h"

namespace cable::rpc {

struct UrlParts {
  std::string host;  // host[:port]
  std::string path;
  Json query = Json::object();  // name -> string; the last repeated name wins
};

// Splits `http://host:8080/cable?a=1&b=x+y` (percent-decoding, `+` is a space).
UrlParts ParseUrl(std::string_view url);

// `a=1; b=hello%20world` -> {"a":"1","b":"hello world"}.
Json ParseCookies(std::string_view header);

}  // namespace cable::rpc
