#pragma once
// What the server takes from an HTTP upgrade request: query parameters,
// path patterns, the session id, proxied headers and the origin check.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cable::server {

// A request-target split into its parts (RFC 7230 §5.3). Origin form
// `/path?query` is what browsers send; absolute form
// `http://host:8090/_broadcast` is what Ruby's Net::HTTP sends through a
// proxy setting and what servers MUST accept (§5.3.2). `authority` is set
// only for the absolute form and then wins over the Host header (§5.4).
struct RequestTarget {
  std::string_view path;       // never empty for a valid target: "/" at least
  std::string_view query;      // after '?', without it
  std::string_view authority;  // host[:port] of an absolute-form target
};
RequestTarget SplitTarget(std::string_view target);

// Decodes `a=1&b=x%20y` (also `+` as space). Later duplicates are kept.
std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query);
std::string UrlDecode(std::string_view s);
// First value of `name` in a parsed query, or empty.
std::string QueryValue(const std::vector<std::pair<std::string, std::string>>& query,
                       std::string_view name);

// anycable-go path patterns: exact `/cable`, wildcard suffix `/admin/*`,
// placeholder segments `/accounts/{tenant}/cable`.
bool PathMatches(std::string_view pattern, std::string_view path);

// The sid of the session to restore (spec §2.3): the X-AnyCable-Restore-Sid
// header, else the `sid` query parameter. Empty when neither is given or
// the value cannot be a sid (over 128 bytes, or not visible ASCII), so
// hostile values never reach the broker.
std::string RestoreSid(std::string_view header, std::string_view query_value);

// A random 22-character id from the alphabet A-Za-z0-9_- (132 bits).
std::string RandomSid();

// True if `origin` (an Origin header) is allowed by the comma-separated
// list semantics of anycable-go: host[:port] compared case-insensitively,
// entries starting with `*` match by suffix. An empty list allows all.
bool OriginAllowed(std::string_view origin, const std::vector<std::string>& allowed);

// Keeps only the cookies named in `keep` (all when `keep` is empty), in
// anycable-go's format: `a=1; b=2;`.
std::string FilterCookies(std::string_view cookie_header, const std::vector<std::string>& keep);

// Server subprotocol preference: actioncable-v1-json, then
// actioncable-v1-ext-json. Returns empty when the client offers neither
// (the upgrade still succeeds, as with anycable-go).
std::string NegotiateSubprotocol(std::string_view offered);

// The JWT carried as an `anycable-token.<jwt>` subprotocol, or empty.
std::string TokenFromSubprotocols(std::string_view offered);

}  // namespace cable::server
