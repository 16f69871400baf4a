#include "rpc/url_parts.h"

#include "common/strings.h"

namespace cable::rpc {
namespace {

// Query strings are form-encoded ('+' is a space); a bad escape stays as
// written, as Rack leaves it.
std::string DecodeQueryPart(std::string_view s) {
  return *PercentDecode(s, PlusSign::kSpace, BadEscape::kKeep);
}

std::string_view TrimSpaces(std::string_view s) {
  return Trim(s, " \t");
}

}  // namespace

UrlParts ParseUrl(std::string_view url) {
  UrlParts parts;
  std::string_view rest = url;
  if (auto scheme = rest.find("://"); scheme != std::string_view::npos) {
    rest.remove_prefix(scheme + 3);
    std::size_t end = rest.find_first_of("/?#");
    parts.host = std::string(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  std::size_t q = rest.find('?');
  parts.path = std::string(rest.substr(0, q));
  if (q == std::string_view::npos) return parts;
  std::string_view query = rest.substr(q + 1);
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    std::string key = DecodeQueryPart(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : DecodeQueryPart(pair.substr(eq + 1));
    parts.query[key] = std::move(value);
  }
  return parts;
}

Json ParseCookies(std::string_view header) {
  Json cookies = Json::object();
  while (!header.empty()) {
    std::size_t semi = header.find(';');
    std::string_view item = TrimSpaces(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    std::size_t eq = item.find('=');
    if (item.empty() || eq == std::string_view::npos || eq == 0) continue;
    std::string name(TrimSpaces(item.substr(0, eq)));
    // The first cookie of a name wins, as in Rack.
    if (!cookies.contains(name)) {
      cookies[name] =
          *PercentDecode(TrimSpaces(item.substr(eq + 1)), PlusSign::kLiteral, BadEscape::kKeep);
    }
  }
  return cookies;
}

}  // namespace cable::rpc
