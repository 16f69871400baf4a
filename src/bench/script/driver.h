#pragma once
// The scripted clients of one loop (bench/loop.h): created with the loop's
// connections, started at their ramp slots, and the loop's connection
// callbacks routed to them. It also holds what its clients measured per
// metric, so recording a latency is a plain increment on the loop's own
// histogram; the runner merges every loop's after Shutdown().
//
// All methods run on the loop thread unless said otherwise.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/histogram.h"
#include "bench/script/client.h"
#include "bench/script/shared.h"

namespace cable::bench {
class Connection;
class Loop;
}  // namespace cable::bench

namespace cable::bench::script {

// Per metric and loop: step executions and how they ended. Latencies go to
// the loop's histogram for the metric.
struct StepTally {
  int64_t count = 0;    // executions that finished (either way)
  int64_t ok = 0;       // connect welcomed, subscription confirmed, frames received
  int64_t failed = 0;   // connect failed, rejected, timed out
  int64_t missing = 0;  // unpaired receive: frames that did not come in time
};

// A receipt slot's receive step and its lateness limit, per group.
struct SlotSpec {
  const ReceiveSpec* receive = nullptr;
  int64_t timeout_ns = 0;
};

class ScriptDriver {
 public:
  ScriptDriver(Loop& loop, ScriptShared& shared);

  // Loop constructor: `c` is global client c.client().
  void Add(Connection* c);
  // Any thread: every client starts at t0 + its group's start and ramp slot.
  void Begin(int64_t t0_ns);
  void Stop();
  void ReleaseBarrier(int64_t generation);
  void OnEnded(Connection& c, std::string_view reason, bool handshaking);

  Loop& loop() { return loop_; }
  ScriptShared& shared() { return shared_; }
  const SlotSpec& slot(int group, int slot) const {
    return slots_[static_cast<size_t>(group)][static_cast<size_t>(slot)];
  }

  // --- Measurements (loop thread while running, any thread after) ---
  Histogram& histogram(int metric) { return histograms_[static_cast<size_t>(metric)]; }
  StepTally& tally(int metric) { return tallies_[static_cast<size_t>(metric)]; }
  void CountEnding(std::string_view reason, Ending ending);
  const std::vector<Histogram>& histograms() const { return histograms_; }
  const std::vector<StepTally>& tallies() const { return tallies_; }
  const std::vector<std::unique_ptr<ScriptClient>>& clients() const { return clients_; }
  const std::map<std::string, int64_t>& failures() const { return failures_; }
  const std::map<std::string, int64_t>& drops() const { return drops_; }
  const std::map<std::string, int64_t>& stops() const { return stops_; }

 private:
  Loop& loop_;
  ScriptShared& shared_;
  std::vector<std::unique_ptr<ScriptClient>> clients_;
  std::vector<std::vector<SlotSpec>> slots_;  // by group, then slot
  std::vector<Histogram> histograms_;
  std::vector<StepTally> tallies_;
  std::map<std::string, int64_t> failures_, drops_, stops_;
};

}  // namespace cable::bench::script
