#pragma once
// Steps of a client: `- keyword: arguments` (or a bare `- keyword` for steps
// without arguments), one reader per keyword.

#include <string_view>
#include <vector>

#include "conformance/yaml_reader.h"

namespace cable::conformance {

// Every step keyword, for messages and documentation.
const std::vector<std::string_view>& StepKeywords();

// Reads a sequence of steps; loops nest at most a few levels.
Steps ReadSteps(const YamlReader& reader, const YAML::Node& node, int depth = 0);

// Reads one `- keyword: arguments` item, for readers that build their own
// step lists on this language (`cable bench run`).
Step ReadStep(const YamlReader& reader, const YAML::Node& item, int depth = 0);

}  // namespace cable::conformance
