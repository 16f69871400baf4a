#pragma once
// Runs selected scenarios against one or more instances of the target:
// starts what it must (the `cable rpc` backend, the command under test),
// schedules scenarios on `jobs` workers, restarts what died, stops
// everything at the end.
//
// With a command whose words contain {port}, each job gets its own server
// (and backend) on free ports, so scenarios never share a server. Otherwise
// all jobs share one server, and scenarios that name the same `resources`
// (or are `exclusive`, as every restarting scenario is) never overlap.

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "conformance/instance.h"
#include "conformance/result.h"
#include "conformance/selection.h"

namespace cable::conformance {

struct RunnerOptions {
  InstanceOptions instance;  // template for every instance
  RunSettings settings;
  std::set<std::string> features;
  std::map<std::string, std::string> unclaimed_reasons;  // feature -> why (profiles)
  int jobs = 1;
};

// What the run can do, for SkipReason: claimed features, a command to
// restart, secrets to sign with.
Capabilities CapabilitiesOf(const RunnerOptions& options);

using ProgressFn = std::function<void(const ScenarioResult&)>;

RunReport RunScenarios(const std::vector<const Scenario*>& selected, const RunnerOptions& options,
                       const ProgressFn& progress);

}  // namespace cable::conformance
