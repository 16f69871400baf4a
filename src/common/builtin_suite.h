#pragma once
// The conformance suite compiled into the binary: every file under
// scenarios/conformance/ (scenarios and the backend definitions next to
// them), named by its path below that folder ("anyt/core_ping.yml").
//
// Messages name such a file "builtin:anyt/core_ping.yml", so a mistake
// reads "builtin:anyt/core_ping.yml:12:3: ...".

#include <string>
#include <string_view>
#include <vector>

namespace cable::builtin_suite {

inline constexpr std::string_view kPrefix = "builtin:";

struct File {
  std::string_view path;  // below scenarios/conformance, '/'-separated
  std::string_view text;
};

// Generated at build time (cmake/EmbedYaml.cmake), sorted by path.
const std::vector<File>& Files();

// Whether `name` is "builtin:" followed by a path (or nothing).
bool IsBuiltinName(std::string_view name);

// The file a "builtin:<path>" name refers to; nullptr when there is none.
const File* Find(std::string_view name);

// The files a "builtin:<prefix>" argument selects: the one file of that
// path, or every file below that folder ("builtin:" alone: all of them).
std::vector<const File*> Select(std::string_view name);

// "builtin:<dir of file>/<relative>" with "." and ".." segments resolved;
// empty when the path climbs out of the suite.
std::string Resolve(std::string_view builtin_file, std::string_view relative);

}  // namespace cable::builtin_suite
