#pragma once
// Reports of a run: readable text for terminals, JUnit XML for CI, JSON for
// tools, and the closing summary line.

#include <string>

#include "conformance/result.h"

namespace cable::conformance {

struct Counts {
  int passed = 0, failed = 0, skipped = 0;
};
Counts Count(const RunReport& report);

// "N passed, N failed, N skipped".
std::string SummaryLine(const RunReport& report);

// Scenarios grouped by feature heading with durations; failures with the
// expected and received frames and the client's last frames; then a table
// of required features. `color` adds ANSI colours.
std::string TextReport(const RunReport& report, bool color);
std::string JunitReport(const RunReport& report);
std::string JsonReport(const RunReport& report);

}  // namespace cable::conformance
