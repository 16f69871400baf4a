#pragma once
// A scripted load scenario (`cable bench run FILE.yml`, docs/bench.md):
// groups of clients, each running a list of steps written in the
// conformance step language, plus what a load generator needs on top —
// group sizes scaled by --scale, start ramps, timed loops, and names that
// turn steps into report metrics.
//
// Plain data, immutable once loaded; every client of a group walks the same
// step tree with its own cursor (script/client.h).

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "conformance/model.h"

namespace cable::bench::script {

using conformance::Millis;
using conformance::Position;

// `history`: {"command":"history","identifier":..,"history":{...}}, answered
// by confirm_history or reject_history (extended protocol).
struct HistoryStep {
  conformance::IdentifierSpec id;
  std::optional<conformance::Value> history;  // default: {since: <run start>}
  std::optional<Millis> timeout;
};

struct ScriptStep;

// `loop`: the body `count` times, or for `duration`, or both (whichever ends
// first). With `every`, iteration i starts at loop start + i * every (open
// loop: a late iteration does not push the later ones back).
struct LoopSpec {
  int64_t count = 0;  // 0: bounded by duration only
  Millis every{0};
  Millis duration{0};
  std::vector<ScriptStep> steps;
};

// A receive step's bench side: the frame pattern comes from the
// conformance reader; `pair` ties it to the send step whose stamped
// messages it measures.
struct ReceiveSpec {
  conformance::Pattern pattern;
  bool exact = false;
  std::optional<Millis> timeout;
  int count = 1;  // unpaired: frames to wait for
  int pair = -1;  // metric index of the send step, or -1
  int slot = -1;  // paired: the client's receipt log for that pair
};

struct ScriptStep {
  using Action =
      std::variant<conformance::ConnectStep, conformance::SubscribeStep,
                   conformance::UnsubscribeStep, conformance::PerformStep, conformance::WhisperStep,
                   conformance::JoinStep, conformance::LeaveStep, conformance::BroadcastStep,
                   HistoryStep, ReceiveSpec, conformance::SleepStep, conformance::WaitAllStep,
                   conformance::CloseStep, LoopSpec>;
  Action action;
  std::string keyword;
  Position pos;
  int id = -1;          // index among the script's steps, for per-client caches
  int metric = -1;      // Script::metrics index when named (or paired), else -1
  bool stamps = false;  // renders {{stamp}}: a send whose messages can be measured
};

// What a named step measures, and the key it has in the report's `steps`.
struct Metric {
  enum class Kind { kConnect, kSubscribe, kHistory, kSend, kReceive };
  Kind kind = Kind::kSend;
  std::string name;     // report key
  std::string label;    // the receive's full name, for a pair ("speak → ...")
  std::string keyword;  // the step that defines it
  Position pos;
  bool paired = false;  // a send step some receive measures
  // Send steps: clients whose program contains the step.
  int64_t senders = 0;
};

struct Group {
  std::string name;
  int count = 1;       // after --scale
  bool scaled = true;  // `scale: false` keeps count as written
  Millis start{0};     // first client's start, from the run's start
  Millis ramp{0};      // starts spread evenly over this long
  std::vector<ScriptStep> steps;
  Position pos;
  // Receipt logs a client of this group keeps: one per pair it measures,
  // by metric index (-1: not measured here).
  std::vector<int> slot_of_metric;
  std::vector<int> pairs;  // metric index of each slot
  // Top-level step index after which a client sends a given metric no more
  // (the step itself or the outermost loop holding it), -1 if never.
  std::vector<int> last_send_step;
};

struct Script {
  std::string file;
  std::string name;
  Millis timeout{5000};  // default for every waiting step
  std::vector<std::pair<std::string, conformance::Value>> vars;
  std::vector<Group> groups;
  std::vector<Metric> metrics;
  int step_count = 0;  // ScriptStep::id range
  int scale = 1;

  int64_t total_clients() const {
    int64_t n = 0;
    for (const auto& g : groups) n += g.count;
    return n;
  }
};

}  // namespace cable::bench::script
