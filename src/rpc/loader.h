#pragma once
// Reads YAML backend definitions (docs/rpc-backend.md) into Definitions.
//
// Loading is strict: unknown keys, wrong types, bad templates and paths
// that a handler cannot read are errors, each reported as
// "file:line:column: what was found; what was expected". Several sources
// merge: connection handlers are concatenated in order, channels must not
// be defined twice.

#include <string>
#include <vector>

#include "common/result.h"
#include "rpc/definitions.h"

namespace cable::rpc {

// One YAML document and the name used for it in messages (a path, or
// "builtin:anyt" for an embedded definition).
struct Source {
  std::string name;
  std::string text;
};

// Reads a file of at most limits::kMaxFileBytes.
Result<Source> ReadSource(const std::string& path);

Result<Definitions> LoadDefinitions(const std::vector<Source>& sources);

}  // namespace cable::rpc
