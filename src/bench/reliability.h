#pragma once
// The reliable-stream checks of a run, merged from the loops and judged:
// stream positions (actioncable-v1-ext-json broadcasts) and the reconnect
// scenario (--reconnect).

#include <memory>
#include <vector>

#include "bench/loop.h"
#include "bench/options.h"
#include "bench/run_record.h"

namespace cable::bench {

// After the loops have stopped.
PositionTotals SumPositions(const BenchOptions& options,
                            const std::vector<std::unique_ptr<Loop>>& loops);
ReconnectTotals SumReconnects(const std::vector<std::unique_ptr<Loop>>& loops);

// Adds the problems (gaps, duplicate offsets, epoch changes, messages missed
// across a reconnect, failed reconnects, unanswered history requests) and
// warnings (no positions sent, sessions not restored, history rejected).
void DiagnoseReliability(const BenchOptions& options, const Totals& totals, Diagnosis* d);

}  // namespace cable::bench
