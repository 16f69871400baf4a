#pragma once
// Runs one benchmark from validated options: connect the clients, run the
// scenario's message phase, wait for outstanding deliveries, and build the
// report. Printing and file output are left to the caller.

#include "bench/options.h"
#include "bench/report.h"

namespace cable::bench {

struct RunOutcome {
  Json report;
  // 0 clean; 1 loss, duplicates, failed connects, failed publishes or a
  // run that hit --max-time; 2 a run that cannot start as configured.
  int exit_code = 0;
  std::string fatal;  // set when the run could not start (with exit 2 or 1)
};

RunOutcome RunBenchmark(const BenchOptions& options);

}  // namespace cable::bench
