#pragma once
// What running a scenario produced, for the reporters.

#include <string>
#include <vector>

#include "conformance/model.h"

namespace cable::conformance {

// One frame as a client saw or sent it; kept for the last few per client so
// a failure shows what led up to it.
struct FrameLogEntry {
  double at_s = 0;        // since the scenario started
  bool outgoing = false;  // sent by the client
  bool ignored = false;   // dropped by the client's ignore rules
  std::string text;       // truncated for reports
};

struct StepFailure {
  std::string client;  // e.g. "alice" or "reader#2"
  std::string step;    // keyword
  Position pos;
  std::string message;                // what went wrong, one sentence
  std::string expected;               // the expectation, rendered; may be empty
  std::vector<std::string> received;  // frames that were there instead
  std::vector<FrameLogEntry> last_frames;
};

enum class Outcome { kPassed, kFailed, kSkipped };

struct ScenarioResult {
  const Scenario* scenario = nullptr;
  Outcome outcome = Outcome::kPassed;
  std::string skip_reason;
  double duration_s = 0;
  std::vector<StepFailure> failures;  // the first is the cause; others followed from it
  std::string note;                   // e.g. "the server under test exited (code 139)"
};

struct RunReport {
  std::vector<ScenarioResult> results;  // in suite order
  double duration_s = 0;
  std::string target;  // what was tested, for headers
  std::string error;   // why the target could not be started, if it could not
};

}  // namespace cable::conformance
