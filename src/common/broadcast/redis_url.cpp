#include "common/broadcast/redis_url.h"

#include <fmt/format.h>

#include "common/net/host_port.h"
#include "common/strings.h"

namespace cable::broadcast {
namespace {

Error Bad(std::string_view url, std::string_view why) {
  return Error{"bad_url", fmt::format("invalid Redis URL \"{}\": {}", url, why)};
}

bool ParseNumber(std::string_view s, int max, int* out) {
  if (s.empty()) return false;
  long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
    if (v > max) return false;
  }
  *out = static_cast<int>(v);
  return true;
}

}  // namespace

std::string RedisUrl::Authority() const {
  return net::JoinHostPort(host, port);
}

Result<RedisUrl> ParseRedisUrl(std::string_view url) {
  RedisUrl u;
  auto sep = url.find("://");
  if (sep == std::string_view::npos) return Bad(url, "expected redis://host:port");
  std::string_view scheme = url.substr(0, sep);
  if (scheme == "rediss") {
    return Error{"unsupported", "TLS not supported: rediss:// URLs cannot be used, use redis://"};
  }
  if (scheme == "unix") return Error{"unsupported", "unix socket Redis URLs are not supported"};
  if (scheme != "redis") return Bad(url, "scheme must be redis");

  std::string_view rest = url.substr(sep + 3);
  rest = rest.substr(0, rest.find('?'));
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty() && !ParseNumber(db, 1 << 20, &u.db)) return Bad(url, "db must be a number");
  }

  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = userinfo.find(':');
    std::string_view user = userinfo.substr(0, colon);
    std::string_view pass =
        colon == std::string_view::npos ? std::string_view() : userinfo.substr(colon + 1);
    // redis://secret@host is read as a password, as redis clients do.
    if (colon == std::string_view::npos) std::swap(user, pass);
    // Passwords often hold characters that must be percent-encoded in a URL.
    auto username = PercentDecode(user, PlusSign::kLiteral, BadEscape::kReject);
    auto password = PercentDecode(pass, PlusSign::kLiteral, BadEscape::kReject);
    if (!username || !password) return Bad(url, "bad percent-encoding in credentials");
    u.username = std::move(*username);
    u.password = std::move(*password);
  }

  auto split = net::SplitHostPort(authority);
  if (!split.ok()) return Bad(url, split.error().message);
  // Without a host (redis://:6379/1) the default host stays.
  if (!split->host.empty() || authority.starts_with('[')) u.host = std::move(split->host);
  const std::string_view port_text = split->port;
  if (!port_text.empty() && (!ParseNumber(port_text, 65535, &u.port) || u.port == 0)) {
    return Bad(url, "port must be a number between 1 and 65535");
  }
  return u;
}

}  // namespace cable::broadcast
