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

// Whether an address "[scheme://][userinfo@]host[:port][/...]" names a port.
bool HasPort(std::string_view address) {
  if (auto sep = address.find("://"); sep != std::string_view::npos) {
    address = address.substr(sep + 3);
  }
  address = address.substr(0, address.find_first_of("/?"));
  if (auto at = address.rfind('@'); at != std::string_view::npos) address = address.substr(at + 1);
  auto split = net::SplitHostPort(address);
  return split.ok() && !split->port.empty();
}

}  // namespace

std::string RedisUrl::Authority() const {
  if (UsesSentinel()) return "master " + host;
  return net::JoinHostPort(host, port);
}

Result<RedisUrl> ParseRedisUrl(std::string_view url) {
  RedisUrl u;
  auto sep = url.find("://");
  if (sep == std::string_view::npos) return Bad(url, "expected redis://host:port");
  std::string_view scheme = url.substr(0, sep);
  if (scheme == "unix") return Error{"unsupported", "unix socket Redis URLs are not supported"};
  if (scheme != "redis" && scheme != "rediss") return Bad(url, "scheme must be redis or rediss");
  u.tls = scheme == "rediss";

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

Status AddRedisSentinels(RedisUrl& url, std::string_view list) {
  bool credentials_given = !url.password.empty();
  for (const std::string& item : SplitList(list)) {
    // Each address is read as a URL, as anycable-go does (the scheme is
    // optional there too).
    const std::string text = item.find("://") == std::string::npos ? "redis://" + item : item;
    auto parsed = ParseRedisUrl(text);
    if (!parsed.ok()) {
      return Error{"bad_url", fmt::format("invalid Redis Sentinel address \"{}\": {}", item,
                                          parsed.error().message)};
    }
    RedisSentinel s{parsed->host, parsed->port};
    // Without a port, Sentinel's own default rather than Redis'.
    if (!HasPort(item)) s.port = 26379;
    if (!credentials_given && !parsed->password.empty()) {
      url.username = parsed->username;
      url.password = parsed->password;
      credentials_given = true;
    }
    url.tls = url.tls || parsed->tls;
    url.sentinels.push_back(std::move(s));
  }
  return Status::Ok();
}

}  // namespace cable::broadcast
