#pragma once
// The `http` step's arguments (docs/conformance.md): a request to the
// target's HTTP side and what its answer must be.

#include "conformance/yaml_reader.h"

namespace cable::conformance {

// `args` is the step's mapping; `at` is where to point when it is missing.
HttpStep ReadHttpStep(const YamlReader& r, const YAML::Node& args, const YAML::Node& at);

}  // namespace cable::conformance
