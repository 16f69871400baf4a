#pragma once
// Pass/fail criteria for a run, as k6 users write them: `latency.p99<50ms`,
// `missing==0`, `connect.rate_per_s>=5000`. The left side is a dotted path
// into the JSON report (or a short alias), the right side a number with an
// optional unit that is converted to the metric's own unit (the unit in its
// key name: `_us`, `_ms`, `_s`, `_pct`, ...). Expressions are checked against
// the report's layout before anything connects, so a typo costs no run.

#include <string>
#include <vector>

#include "bench/report.h"
#include "common/result.h"

namespace cable::bench {

enum class ThresholdOp { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual, kNotEqual };

struct Threshold {
  std::string expression;  // as written
  std::string path;        // the report path it resolved to
  ThresholdOp op = ThresholdOp::kLess;
  double limit = 0;  // in the metric's unit
  // How to show values the way the user wrote them: value / scale + unit.
  double scale = 1;
  std::string unit;
};

struct ThresholdResult {
  Threshold threshold;
  bool measured = false;  // the report has the figure (server.* needs --server-pid)
  double value = 0;       // in the metric's unit
  bool passed = false;
};

// Parses and checks one expression; the Error names the mistake and, for an
// unknown path, the nearest known one.
Result<Threshold> ParseThreshold(const std::string& expression);

std::vector<ThresholdResult> EvaluateThresholds(const std::vector<Threshold>& thresholds,
                                                const Json& report);

// Adds the `thresholds` array and, when one failed, marks the report failed
// (ok false, exit_code 1, a problem per violated threshold).
void RecordThresholds(const std::vector<ThresholdResult>& results, Json& report);

// The text report's section, from the report's `thresholds` array ("" when
// the run had none).
std::string FormatThresholds(const Json& report);

// A JUnit document with one testcase per threshold.
std::string ThresholdsJunit(const Json& report);

}  // namespace cable::bench
