#include "rpc/builtin.h"

#include <sys/stat.h>

#include "common/builtin_suite.h"

namespace cable::rpc {

Result<Source> ResolveDefinition(const std::string& name_or_path) {
  struct stat st {};
  if (stat(name_or_path.c_str(), &st) == 0) return ReadSource(name_or_path);
  // Backend definitions kept next to the built-in conformance scenarios.
  if (const auto* f = builtin_suite::Find(name_or_path))
    return Source{name_or_path, std::string(f->text)};
  std::string names;
  for (const auto& b : BuiltinDefinitions()) {
    if (b.name == name_or_path) return Source{"builtin:" + name_or_path, std::string(b.text)};
    if (!names.empty()) names += ", ";
    names += b.name;
  }
  return Error{"not_found",
               name_or_path + ": no such file, and not a built-in definition (" + names + ")"};
}

}  // namespace cable::rpc
