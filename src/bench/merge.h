#pragma once
// `cable bench merge`: the reports of the N shards of one run (--shard I/N)
// as the one report a single generator would have written. Counts are
// summed, latency histograms merged exactly (so percentiles are those of
// every sample together), loss and duplicates added up from each shard's
// exact accounting (a shard publishes only to streams its own clients
// subscribe to, shard.h), and each shard's problems kept, prefixed with the
// shard. The timeline is lined up on wall-clock time; its per-interval
// percentiles are the highest shard's (only the whole-run figures are
// exact).

#include <string>
#include <vector>

#include "bench/report.h"
#include "common/result.h"

namespace cable::bench {

struct MergeInput {
  std::string name;  // the file, for messages
  Json report;
};

struct Merged {
  Json report;
  // Not fatal: missing shards, other tool versions, other target URLs.
  std::vector<std::string> warnings;
};

// The Error ("format" or "mismatch") names the file and what is wrong:
// not a shard report, another scenario, load or histogram layout, another
// shard count, the same shard twice.
Result<Merged> MergeReports(const std::vector<MergeInput>& inputs);

}  // namespace cable::bench
