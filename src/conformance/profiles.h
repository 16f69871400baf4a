#pragma once
// Profiles: the features a kind of target claims (`--profile actioncable`,
// `anycable-go`, `cable`), and why it does not claim the others, so a
// skipped scenario says what the target lacks rather than only its name.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cable::conformance {

struct Profile {
  std::string_view name;
  std::string_view summary;
  // How scenarios broadcast unless --broadcast-adapter says otherwise.
  std::string_view default_adapter;
  // Whether the runner starts `cable rpc` for scenarios that name backend
  // definitions: not for Action Cable, whose channels are Ruby code.
  bool start_rpc = true;
  std::vector<std::string_view> features;
  // Why each feature it does not claim is missing, for skip messages.
  std::vector<std::pair<std::string_view, std::string_view>> unclaimed;
};

const std::vector<Profile>& Profiles();
const Profile* FindProfile(std::string_view name);
// "actioncable, anycable-go or cable" for messages.
std::string ProfileNames();

// What a run claims: the features, and for features it does not claim, the
// reason a skip message gives (absent: "the target does not claim it").
struct FeatureClaims {
  std::vector<std::string> claimed;  // sorted
  std::map<std::string, std::string> reasons;
  bool Has(const std::string& feature) const;
};

// The features of `profile` (nullptr: none, as without --profile) with the
// --features items applied on top; see ApplyFeatureList/ParseFeatureList.
// `adapter` is the broadcast adapter the run uses: an Action Cable target
// receives broadcasts and remote disconnects only through its own
// subscription adapter, so with another the profile drops those features.
Result<FeatureClaims> ResolveClaims(const Profile* profile, std::string_view features,
                                    std::string_view adapter);

}  // namespace cable::conformance
