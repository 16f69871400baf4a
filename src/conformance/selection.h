#pragma once
// Which scenarios a run includes (--only, --except, --filter), and which of
// those it must skip and why (features the target does not claim, restarts
// without a command, tokens without a secret).

#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "conformance/model.h"

namespace cable::conformance {

struct SelectionOptions {
  std::vector<std::string> only;    // regexes on the file path; any must match
  std::vector<std::string> except;  // regexes on the file path; none may match
  std::string filter;               // case-insensitive regex on "feature: name"
};

// An Error names a bad regular expression.
Result<std::vector<const Scenario*>> Select(const std::vector<Scenario>& all,
                                            const SelectionOptions& options);

struct Capabilities {
  std::set<std::string> features;
  // Why a feature is not claimed (from the profile); absent: not claimed.
  std::map<std::string, std::string> unclaimed_reasons;
  bool can_restart = false;
  bool has_jwt_secret = false;
  bool has_streams_secret = false;
};

// Empty when the scenario can run; otherwise why it is skipped.
std::string SkipReason(const Scenario& s, const Capabilities& caps);

// The --list text: one line per scenario ("run" or "skip", where it is
// written, its name, the features it needs), the skip reason indented below
// it, and a count at the end.
std::string ListScenarios(const std::vector<const Scenario*>& selected, const Capabilities& caps);

}  // namespace cable::conformance
