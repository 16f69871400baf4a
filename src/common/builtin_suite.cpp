#include "common/builtin_suite.h"

namespace cable::builtin_suite {
namespace {

std::string_view StripPrefix(std::string_view name) {
  return name.substr(kPrefix.size());
}

}  // namespace

bool IsBuiltinName(std::string_view name) {
  return name.substr(0, kPrefix.size()) == kPrefix;
}

const File* Find(std::string_view name) {
  if (!IsBuiltinName(name)) return nullptr;
  std::string_view path = StripPrefix(name);
  for (const auto& f : Files())
    if (f.path == path) return &f;
  return nullptr;
}

std::vector<const File*> Select(std::string_view name) {
  std::vector<const File*> out;
  if (!IsBuiltinName(name)) return out;
  std::string_view path = StripPrefix(name);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  for (const auto& f : Files()) {
    if (path.empty() || f.path == path ||
        (f.path.size() > path.size() && f.path.substr(0, path.size()) == path &&
         f.path[path.size()] == '/'))
      out.push_back(&f);
  }
  return out;
}

std::string Resolve(std::string_view builtin_file, std::string_view relative) {
  std::string_view file = StripPrefix(builtin_file);
  std::vector<std::string> parts;
  auto push_segments = [&](std::string_view s) {
    size_t pos = 0;
    while (pos <= s.size()) {
      size_t slash = s.find('/', pos);
      std::string_view seg = s.substr(pos, slash == s.npos ? s.npos : slash - pos);
      pos = slash == s.npos ? s.size() + 1 : slash + 1;
      if (seg.empty() || seg == ".") continue;
      if (seg == "..") {
        if (parts.empty()) return false;
        parts.pop_back();
        continue;
      }
      parts.emplace_back(seg);
    }
    return true;
  };
  auto slash = file.rfind('/');
  if (slash != std::string_view::npos && !push_segments(file.substr(0, slash))) return {};
  if (!push_segments(relative)) return {};
  std::string out(kPrefix);
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "/" : "") + parts[i];
  return out;
}

}  // namespace cable::builtin_suite
