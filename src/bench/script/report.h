#pragma once
// The `steps` part of a scripted run's report: one entry per named step
// (a measured send carries its receivers' figures), every entry with the
// same keys so thresholds such as `steps.speak.latency.p99<50ms` can be
// checked against the layout before the run, plus the text table section.

#include <string>
#include <vector>

#include "bench/histogram.h"
#include "bench/report.h"
#include "bench/script/driver.h"
#include "bench/script/script.h"

namespace cable::bench::script {

// Everything measured for one metric, merged over loops and clients.
struct StepTotals {
  Histogram latency;
  StepTally tally;
  int64_t sent = 0, send_failed = 0;
  // Measured sends: the clients measuring it and their receipts.
  int64_t listeners = 0, expected = 0, unique = 0, on_time = 0, late = 0, missing = 0,
          duplicates = 0, own = 0, mismatched = 0;
};

// {"<name>": {...}} in the script's metric order.
Json StepsJson(const Script& script, const std::vector<StepTotals>& totals);
// {"<name>": [[low_us, high_us, count], ...]} for the report's histograms.
Json StepHistogramsJson(const Script& script, const std::vector<StepTotals>& totals);

// The report's problems for the steps (each fails the run).
std::vector<std::string> StepProblems(const Script& script, const std::vector<StepTotals>& totals);

// The "Steps" section of the text report ("" without steps).
std::string FormatSteps(const Json& report);

// `steps.<name>.<figure>` with the figure's short forms resolved
// (`latency.p99` -> `latency_us.p99`); "" when the figure is unknown. The
// name is checked against a script by the caller.
std::string ResolveStepPath(const std::string& written);

}  // namespace cable::bench::script
