#pragma once
// The features a scenario can require and a target can claim. Scenarios
// whose features the target does not claim are skipped, not failed, so one
// suite serves servers with different capabilities.

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cable::conformance {

struct FeatureInfo {
  std::string_view name;
  std::string_view summary;
};

const std::vector<FeatureInfo>& KnownFeatures();
bool IsKnownFeature(std::string_view name);
// "a, b or c" for messages.
std::string KnownFeatureList();

// Parses a --features value: comma-separated names, the groups `all` and
// `anyt` (what AnyT needs), `+name` to add one and `-name` to take one away,
// applied in order ("all,-jwt"). A list of changes only ("+history,-ping")
// applies to `all`; a list that names features starts from nothing.
// Unknown names are an Error listing the known ones.
Result<std::set<std::string>> ParseFeatureList(std::string_view spec);

// The same items applied to `base` (a profile's features): plain names and
// `+name` add, `-name` removes.
Result<std::set<std::string>> ApplyFeatureList(std::set<std::string> base, std::string_view spec);

// The non-empty, trimmed items of a comma-separated list.
std::vector<std::string> SplitFeatureSpec(std::string_view spec);

}  // namespace cable::conformance
