#pragma once
// The checks every kind of run makes before a socket opens: the plan from
// the options, descriptors for its clients (the soft limit raised to the
// hard one) and, with --server-pid, a server process that can be sampled.

#include <cstdint>
#include <string>

#include "bench/options.h"
#include "bench/plan.h"

namespace cable::bench {

struct Preflight {
  Plan plan;
  int64_t fd_limit = 0;
  // `fatal` set: the run cannot start; exit 2 for a mistake in the flags or
  // the limits, 1 otherwise.
  int exit_code = 0;
  std::string fatal;
};

// `clients`: the clients this process opens (its shard's share).
Preflight CheckBeforeRun(const BenchOptions& options, int64_t clients);

}  // namespace cable::bench
