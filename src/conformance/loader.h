#pragma once
// Reads scenario files (docs/conformance.md) into Scenarios.
//
// Loading is strict and happens before anything runs: unknown keys and
// steps, bad YAML, bad match expressions, variables that nothing defines,
// unknown features and backend definitions that do not load are errors,
// each "file:line:column: what was found; what was expected".

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "conformance/model.h"

namespace cable::conformance {

// Scenario files are small; larger inputs are refused before parsing.
inline constexpr size_t kMaxScenarioFileBytes = 1 << 20;
inline constexpr size_t kMaxScenarioFiles = 1000;

// Variables every scenario has: run (unique per execution), client, index,
// target_host, target_port, target_path, api_path (the path of --api-url).
const std::vector<std::string_view>& BuiltinVariables();

// One file's text; `file` names it in messages and anchors relative backend
// paths.
Result<std::vector<Scenario>> LoadScenarioText(const std::string& file, std::string_view text);

struct LoadedSuite {
  std::vector<Scenario> scenarios;  // in file order, files sorted by path
  std::vector<std::string> errors;  // one per broken file (or backend set)
};

// Files and directories (searched recursively for *.yml and *.yaml, except
// *.backend.yml: backend definitions kept next to their scenarios).
LoadedSuite LoadSuite(const std::vector<std::string>& paths);

// Checks that the union of `backends` loads as one `cable rpc` would load it.
Status CheckBackends(const std::vector<std::string>& backends);

}  // namespace cable::conformance
