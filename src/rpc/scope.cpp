#include "rpc/scope.h"

#include <cctype>
#include <charconv>

#include "common/strings.h"

namespace cable::rpc {
namespace {

constexpr std::array<std::string_view, static_cast<std::size_t>(Root::kCount)> kNames = {
    "url",         "host",   "path",    "query",      "headers", "cookies", "sid",
    "identifiers", "params", "channel", "identifier", "state",   "cstate",  "data"};

bool SegmentChar(char c) {
  return c != '.' && c != '{' && c != '}' && !std::isspace(static_cast<unsigned char>(c));
}

}  // namespace

std::optional<Root> RootFromName(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<Root>(i);
  }
  return std::nullopt;
}

std::string DescribeRoots(RootSet set) {
  std::string out;
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (!Has(set, static_cast<Root>(i))) continue;
    if (!out.empty()) out += ", ";
    out += kNames[i];
  }
  return out;
}

Result<Path> ParsePath(std::string_view text, RootSet allowed) {
  Path path;
  path.text = std::string(text);
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = text.find('.', start);
    std::string_view part = text.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (part.empty()) {
      return Error{"bad_path", "'" + path.text + "' is not a path like `params.name`"};
    }
    for (char c : part) {
      if (!SegmentChar(c)) {
        return Error{"bad_path", "'" + path.text + "' contains '" + std::string(1, c) +
                                     "'; a path is like `params.name`"};
      }
    }
    parts.emplace_back(part);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  auto root = RootFromName(parts.front());
  if (!root) {
    return Error{"bad_path", "unknown root '" + parts.front() + "' in '" + path.text +
                                 "'; expected one of: " + DescribeRoots(allowed)};
  }
  if (!Has(allowed, *root)) {
    return Error{"bad_path", "'" + parts.front() + "' is not available here; expected one of: " +
                                 DescribeRoots(allowed)};
  }
  path.root = *root;
  path.segments.assign(parts.begin() + 1, parts.end());
  if (*root == Root::kHeaders) {
    for (auto& s : path.segments) s = Lower(s);
  }
  return path;
}

const Json* Scope::Resolve(const Path& path) const {
  const Json* cur = Get(path.root);
  for (const std::string& seg : path.segments) {
    if (cur == nullptr) return nullptr;
    if (cur->is_object()) {
      auto it = cur->find(seg);
      cur = it == cur->end() ? nullptr : &*it;
    } else if (cur->is_array()) {
      std::size_t index = 0;
      auto [end, ec] = std::from_chars(seg.data(), seg.data() + seg.size(), index);
      if (ec != std::errc() || end != seg.data() + seg.size() || index >= cur->size()) {
        return nullptr;
      }
      cur = &(*cur)[index];
    } else {
      return nullptr;
    }
  }
  return cur;
}

}  // namespace cable::rpc
