#pragma once
// Small string helpers shared by the commands and the server.

#include <string>
#include <string_view>
#include <vector>

namespace cable {

// "a, b,,c" -> {"a", "b", "c"}: items split at `sep`, spaces and tabs
// around each trimmed, empty items dropped. For flag and setting lists
// (paths, adapters, NATS servers, ...).
inline std::vector<std::string> SplitList(std::string_view s, char sep = ',') {
  std::vector<std::string> out;
  while (!s.empty()) {
    const size_t end = std::min(s.find(sep), s.size());
    std::string_view item = s.substr(0, end);
    const size_t first = item.find_first_not_of(" \t");
    if (first != std::string_view::npos) {
      const size_t last = item.find_last_not_of(" \t");
      out.emplace_back(item.substr(first, last - first + 1));
    }
    s.remove_prefix(end == s.size() ? end : end + 1);
  }
  return out;
}

}  // namespace cable
