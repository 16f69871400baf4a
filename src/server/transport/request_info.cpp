#include "server/transport/request_info.h"

#include <algorithm>
#include <cctype>

#include "common/random_id.h"
#include "common/strings.h"
#include "server/protocol/messages.h"

namespace cable::server {

RequestTarget SplitTarget(std::string_view target) {
  RequestTarget out;
  // absolute-form: scheme "://" authority [path-abempty] ["?" query]
  if (auto scheme_end = target.find("://"); scheme_end != std::string_view::npos &&
                                            !target.starts_with('/') &&
                                            target.find_first_of("/?") > scheme_end) {
    std::string_view rest = target.substr(scheme_end + 3);
    const size_t authority_end = std::min(rest.find_first_of("/?"), rest.size());
    out.authority = rest.substr(0, authority_end);
    target = rest.substr(authority_end);
  }
  const size_t q = target.find('?');
  out.path = target.substr(0, q);
  if (q != std::string_view::npos) out.query = target.substr(q + 1);
  if (out.path.empty()) out.path = "/";
  return out;
}

std::string UrlDecode(std::string_view s) {
  return *PercentDecode(s, PlusSign::kSpace, BadEscape::kKeep);
}

std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      out.emplace_back(UrlDecode(part), "");
    } else {
      out.emplace_back(UrlDecode(part.substr(0, eq)), UrlDecode(part.substr(eq + 1)));
    }
  }
  return out;
}

std::string QueryValue(const std::vector<std::pair<std::string, std::string>>& query,
                       std::string_view name) {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return {};
}

bool PathMatches(std::string_view pattern, std::string_view path) {
  while (true) {
    if (pattern.empty() || path.empty()) return pattern == path;
    if (pattern == "*") return true;
    size_t ps = pattern.find('/', 1);
    size_t ts = path.find('/', 1);
    std::string_view pseg = pattern.substr(0, ps);
    std::string_view tseg = path.substr(0, ts);
    if (pseg == "/*") return true;
    const bool placeholder = pseg.size() > 3 && pseg[1] == '{' && pseg.back() == '}';
    if (placeholder ? tseg.size() < 2 : pseg != tseg) return false;
    pattern = ps == std::string_view::npos ? std::string_view{} : pattern.substr(ps);
    path = ts == std::string_view::npos ? std::string_view{} : path.substr(ts);
  }
}

std::string RestoreSid(std::string_view header, std::string_view query_value) {
  constexpr size_t kMaxSid = 128;
  const std::string_view sid = header.empty() ? query_value : header;
  if (sid.size() > kMaxSid) return {};
  for (char c : sid) {
    if (c < 0x21 || c > 0x7e) return {};
  }
  return std::string(sid);
}

std::string RandomSid() {
  // 132 bits: a session id is what restores a session (spec §2.3), so it
  // must not be guessable.
  return RandomId(22);
}

bool OriginAllowed(std::string_view origin, const std::vector<std::string>& allowed) {
  if (allowed.empty()) return true;
  std::string o = Lower(Trim(origin));
  if (o.empty()) return false;
  // host[:port] of the URL.
  if (size_t scheme = o.find("://"); scheme != std::string::npos) o = o.substr(scheme + 3);
  if (size_t slash = o.find('/'); slash != std::string::npos) o = o.substr(0, slash);
  for (const auto& entry : allowed) {
    std::string e = Lower(Trim(entry));
    if (e.empty()) continue;
    if (e[0] == '*') {
      std::string_view suffix = std::string_view(e).substr(1);
      if (o.size() >= suffix.size() &&
          o.compare(o.size() - suffix.size(), suffix.size(), suffix) == 0) {
        return true;
      }
    } else if (o == e) {
      return true;
    }
  }
  return false;
}

std::string FilterCookies(std::string_view cookie_header, const std::vector<std::string>& keep) {
  if (keep.empty()) return std::string(cookie_header);
  std::string out;
  while (!cookie_header.empty()) {
    size_t semi = cookie_header.find(';');
    std::string_view item = Trim(cookie_header.substr(0, semi));
    cookie_header =
        semi == std::string_view::npos ? std::string_view{} : cookie_header.substr(semi + 1);
    std::string_view name = Trim(item.substr(0, item.find('=')));
    if (std::find(keep.begin(), keep.end(), name) != keep.end()) {
      out.append(item);
      out.append(";");
    }
  }
  return out;
}

std::string NegotiateSubprotocol(std::string_view offered) {
  static constexpr std::string_view kSupported[] = {protocol::kJsonSubprotocol,
                                                    protocol::kExtendedSubprotocol};
  std::vector<std::string_view> client;
  while (!offered.empty()) {
    size_t comma = offered.find(',');
    client.push_back(Trim(offered.substr(0, comma)));
    offered = comma == std::string_view::npos ? std::string_view{} : offered.substr(comma + 1);
  }
  for (auto s : kSupported) {
    if (std::find(client.begin(), client.end(), s) != client.end()) return std::string(s);
  }
  return {};
}

std::string TokenFromSubprotocols(std::string_view offered) {
  static constexpr std::string_view kPrefix = "anycable-token.";
  while (!offered.empty()) {
    size_t comma = offered.find(',');
    std::string_view item = Trim(offered.substr(0, comma));
    offered = comma == std::string_view::npos ? std::string_view{} : offered.substr(comma + 1);
    if (item.substr(0, kPrefix.size()) == kPrefix) return std::string(item.substr(kPrefix.size()));
  }
  return {};
}

}  // namespace cable::server
