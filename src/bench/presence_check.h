#pragma once
// The presence checks of a run (scenario presence), merged from the loops
// and judged: events every required member had to see against what each saw
// (PresenceLedger), duplicates, events no action explains, join info passed
// through unchanged, and the final `presence` query listing exactly the
// members that are joined.

#include <memory>
#include <vector>

#include "bench/loop.h"
#include "bench/options.h"
#include "bench/presence_driver.h"
#include "bench/presence_ledger.h"
#include "bench/run_record.h"

namespace cable::bench {

// The query sent at the end: how many queries left, this run's members
// joined then (over all streams), and the replies.
struct PresenceQueries {
  int64_t asked = 0;
  int64_t expected_members = 0;
  std::vector<PresenceAnswer> answers;
};

// After the loops have stopped.
PresenceTotals SumPresence(const Plan& plan, const std::vector<std::unique_ptr<Loop>>& loops,
                           const PresenceLedger& ledger, const PresenceQueries& queries);

// Problems: events no action explains, changed join info, error replies,
// failed rejoins, a query that went unanswered or listed other members than
// those joined. Warnings: no presence event at all (no broker?), skipped or
// late actions, other runs' members on the stream.
void DiagnosePresence(const BenchOptions& options, const PresenceTotals& p, Diagnosis* d);

}  // namespace cable::bench
