#pragma once
// Definitions compiled into the binary from scenarios/backend/*.yml, and how
// `--channels` arguments name either a file or one of them.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "rpc/loader.h"

namespace cable::rpc {

struct BuiltinDefinition {
  std::string_view name;  // file name without .yml: "anyt", "benchmark", "demo"
  std::string_view text;
};

// Generated at build time (cmake/EmbedYaml.cmake).
const std::vector<BuiltinDefinition>& BuiltinDefinitions();

// An existing file wins; otherwise a built-in name, or a file of the
// built-in conformance suite ("builtin:anycable/presence.backend.yml"). The Error lists the
// built-in names when neither matches.
Result<Source> ResolveDefinition(const std::string& name_or_path);

}  // namespace cable::rpc
