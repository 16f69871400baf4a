#pragma once
// Runs one scenario: a thread per client executing its steps, shared
// variables and barrier, and the first failure stopping everyone.

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "conformance/barrier.h"
#include "conformance/connection.h"
#include "conformance/model.h"
#include "conformance/result.h"
#include "conformance/target.h"

namespace cable::conformance {

class ScenarioRun {
 public:
  // `run_id` is unique per execution; scenarios use it (as {{run}}) to keep
  // names apart when several share a server.
  ScenarioRun(const Scenario& scenario, Target& target, const RunSettings& settings,
              std::string run_id);

  ScenarioResult Run();

  // Shared with the client runners.
  const Scenario& scenario() const { return scenario_; }
  Target& target() { return target_; }
  const RunSettings& settings() const { return settings_; }
  Barrier& barrier() { return barrier_; }
  const std::atomic<bool>& aborted() const { return abort_; }
  Clock::time_point started() const { return started_; }
  Millis Scaled(Millis d) const;

  std::optional<Json> Variable(std::string_view name) const;
  void Bind(const std::map<std::string, Json>& values);
  // Records a failure and stops every client.
  void Fail(StepFailure failure);

 private:
  const Scenario& scenario_;
  Target& target_;
  const RunSettings& settings_;
  std::string run_id_;
  Barrier barrier_;
  std::atomic<bool> abort_{false};
  Clock::time_point started_;
  mutable std::mutex mu_;
  std::map<std::string, Json> vars_;
  std::vector<StepFailure> failures_;
};

}  // namespace cable::conformance
