#pragma once
// Small string helpers shared by the commands, the libraries and the server.

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cable {

// What C's isspace() calls white space, for Trim.
inline constexpr std::string_view kWhitespace = " \t\n\v\f\r";

// `s` without leading and trailing characters from `chars`.
inline std::string_view Trim(std::string_view s, std::string_view chars = kWhitespace) {
  const size_t first = s.find_first_not_of(chars);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(chars) - first + 1);
}

// ASCII lowercase; other bytes unchanged.
std::string Lower(std::string_view s);

// "a, b,,c" -> {"a", "b", "c"}: items split at `sep`, spaces and tabs
// around each trimmed, empty items dropped. For flag and setting lists
// (paths, adapters, NATS servers, ...).
inline std::vector<std::string> SplitList(std::string_view s, char sep = ',') {
  std::vector<std::string> out;
  while (!s.empty()) {
    const size_t end = std::min(s.find(sep), s.size());
    std::string_view item = Trim(s.substr(0, end), " \t");
    if (!item.empty()) out.emplace_back(item);
    s.remove_prefix(end == s.size() ? end : end + 1);
  }
  return out;
}

// At most `max_bytes` of `s`, cut before a UTF-8 sequence rather than
// through it, so a quoted prefix of valid text stays valid text.
std::string_view Utf8Prefix(std::string_view s, size_t max_bytes);

// Levenshtein distance, for "did you mean" hints; inputs are short.
size_t EditDistance(std::string_view a, std::string_view b);

// 0-15 for a hexadecimal digit of either case, -1 for anything else.
int HexDigitValue(char c);

// How PercentDecode treats '+': a space in form-encoded query strings,
// itself everywhere else (paths, cookies, URL user info).
enum class PlusSign { kLiteral, kSpace };
// How PercentDecode treats a '%' not followed by two hex digits: kept as
// written (lenient, as browsers and Rack do), or the whole input refused.
enum class BadEscape { kKeep, kReject };

// Decodes %XX escapes. std::nullopt only with BadEscape::kReject.
std::optional<std::string> PercentDecode(std::string_view s, PlusSign plus, BadEscape bad);

// Escapes every byte but RFC 3986's unreserved ones (A-Z a-z 0-9 - . _ ~)
// as %XX with uppercase hex digits.
std::string PercentEncode(std::string_view s);

}  // namespace cable
