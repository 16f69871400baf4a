#include "bench/reliability.h"

#include <fmt/format.h>

namespace cable::bench {

PositionTotals SumPositions(const BenchOptions& o,
                            const std::vector<std::unique_ptr<Loop>>& loops) {
  PositionTotals p;
  p.checked = ChecksPositions(o);
  p.positioned = SumOverLoops(loops, &LoopCounters::positioned);
  p.unpositioned = SumOverLoops(loops, &LoopCounters::unpositioned);
  p.gaps = SumOverLoops(loops, &LoopCounters::position_gaps);
  p.skipped = SumOverLoops(loops, &LoopCounters::skipped_offsets);
  p.duplicates = SumOverLoops(loops, &LoopCounters::position_duplicates);
  p.epoch_changes = SumOverLoops(loops, &LoopCounters::epoch_changes);
  return p;
}

ReconnectTotals SumReconnects(const std::vector<std::unique_ptr<Loop>>& loops) {
  ReconnectTotals r;
  r.dropped = SumOverLoops(loops, &LoopCounters::rejoin_dropped);
  r.restored = SumOverLoops(loops, &LoopCounters::rejoin_restored);
  r.not_restored = SumOverLoops(loops, &LoopCounters::rejoin_not_restored);
  r.failed = SumOverLoops(loops, &LoopCounters::rejoin_failed);
  r.history_confirmed = SumOverLoops(loops, &LoopCounters::history_confirmed);
  r.history_rejected = SumOverLoops(loops, &LoopCounters::history_rejected);
  r.history_unanswered = SumOverLoops(loops, &LoopCounters::history_unanswered);
  r.replayed = SumOverLoops(loops, &LoopCounters::replayed);
  r.replay_duplicates = SumOverLoops(loops, &LoopCounters::replay_copies);
  r.missed = SumOverLoops(loops, &LoopCounters::missed_across_drop);
  for (const auto& l : loops) {
    r.ready.Merge(l->reconnector().ready_hist());
    r.recovered.Merge(l->reconnector().recovered_hist());
    r.history.Merge(l->reconnector().history_hist());
    for (auto& [k, v] : l->reconnector().FailureReasons()) r.failures[k] += v;
  }
  return r;
}

void DiagnoseReliability(const BenchOptions& o, const Totals& t, Diagnosis* d) {
  const PositionTotals& p = t.positions;
  if (p.checked && p.positioned == 0 && p.unpositioned > 0) {
    d->warnings.push_back(
        "the server sent no stream positions (no broker? try cable serve --broker memory): "
        "positions not checked");
  } else if (p.checked && p.unpositioned > 0) {
    d->warnings.push_back(fmt::format("{} of {} deliveries carried no stream position",
                                      p.unpositioned, p.positioned + p.unpositioned));
  }
  if (p.gaps > 0) {
    d->problems.push_back(
        fmt::format("{} gaps in stream offsets ({} offsets skipped)", p.gaps, p.skipped));
  }
  if (p.duplicates > 0) {
    d->problems.push_back(fmt::format("{} deliveries repeated an offset", p.duplicates));
  }
  if (p.epoch_changes > 0) {
    d->problems.push_back(fmt::format("{} epoch changes in mid-stream", p.epoch_changes));
  }
  if (o.reconnect == 0) return;
  const ReconnectTotals& r = t.reconnect;
  if (r.missed > 0) {
    d->problems.push_back(fmt::format("{} messages missed across reconnects", r.missed));
  }
  if (r.failed > 0) {
    d->problems.push_back(
        fmt::format("{} of {} dropped clients failed to reconnect", r.failed, r.dropped));
  }
  if (r.history_unanswered > 0) {
    d->problems.push_back(fmt::format(
        "{} history requests got no confirm_history or reject_history", r.history_unanswered));
  }
  if (r.history_rejected > 0) {
    d->warnings.push_back(fmt::format("{} history requests were rejected", r.history_rejected));
  }
  if (r.dropped > 0 && r.restored == 0) {
    d->warnings.push_back(
        "no session was restored: every reconnecting client subscribed again (the server "
        "needs a broker with sessions, e.g. --broker memory, and --sessions_ttl > 0)");
  }
}

}  // namespace cable::bench
