#include "common/http/url.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "common/net/host_port.h"
#include "common/strings.h"

namespace cable::http {
namespace {

Error Bad(std::string_view url, std::string_view why) {
  return Error{"bad_url", fmt::format("invalid URL \"{}\": {}", url, why)};
}

bool IsDefaultPort(const Url& u) {
  return (u.scheme == "http" && u.port == 80) || (u.scheme == "https" && u.port == 443);
}

}  // namespace

std::string Url::HostHeader() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (!IsDefaultPort(*this)) h += ":" + std::to_string(port);
  return h;
}

std::string Url::Authority() const {
  return net::JoinHostPort(host, port);
}

Result<Url> ParseUrl(std::string_view url) {
  Url u;
  auto sep = url.find("://");
  if (sep == std::string_view::npos) return Bad(url, "expected scheme://host");
  u.scheme = Lower(url.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https") return Bad(url, "scheme must be http or https");

  std::string_view rest = url.substr(sep + 3);
  if (rest.find('#') != std::string_view::npos) return Bad(url, "fragments are not allowed");
  auto path_at = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_at);
  u.target = path_at == std::string_view::npos ? "/" : std::string(rest.substr(path_at));
  if (!u.target.empty() && u.target[0] == '?') u.target = "/" + u.target;
  if (authority.find('@') != std::string_view::npos) {
    return Bad(url, "credentials in the URL are not supported");
  }

  auto split = net::SplitHostPort(authority);
  if (!split.ok()) return Bad(url, split.error().message);
  u.host = std::move(split->host);
  const std::string_view port_text = split->port;
  if (u.host.empty()) return Bad(url, "missing host");

  if (port_text.empty()) {
    u.port = u.scheme == "https" ? 443 : 80;
  } else {
    unsigned long port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9') return Bad(url, "port must be a number");
      port = port * 10 + static_cast<unsigned long>(c - '0');
      if (port > 65535) return Bad(url, "port out of range");
    }
    if (port == 0) return Bad(url, "port out of range");
    u.port = static_cast<uint16_t>(port);
  }
  return u;
}

}  // namespace cable::http
