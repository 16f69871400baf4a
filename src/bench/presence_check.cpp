#include "bench/presence_check.h"

#include <fmt/format.h>

namespace cable::bench {

PresenceTotals SumPresence(const Plan& plan, const std::vector<std::unique_ptr<Loop>>& loops,
                           const PresenceLedger& ledger, const PresenceQueries& queries) {
  PresenceTotals p;
  p.active = true;
  p.tag = plan.presence_tag;
  p.churners = plan.options->churn;
  p.joins = SumOverLoops(loops, &LoopCounters::presence_joins);
  p.leaves = SumOverLoops(loops, &LoopCounters::presence_leaves);
  p.drops = SumOverLoops(loops, &LoopCounters::presence_drops);
  p.received = SumOverLoops(loops, &LoopCounters::received);
  p.duplicates = SumOverLoops(loops, &LoopCounters::duplicates);
  p.own = SumOverLoops(loops, &LoopCounters::presence_own);
  p.bonus = SumOverLoops(loops, &LoopCounters::presence_bonus);
  p.unknown = SumOverLoops(loops, &LoopCounters::presence_unknown);
  p.foreign = SumOverLoops(loops, &LoopCounters::presence_foreign);
  p.bad_info = SumOverLoops(loops, &LoopCounters::presence_bad_info);
  p.errors = SumOverLoops(loops, &LoopCounters::presence_errors);
  p.skipped = SumOverLoops(loops, &LoopCounters::presence_skipped);
  p.late = SumOverLoops(loops, &LoopCounters::presence_late);
  p.rejoin_failed = SumOverLoops(loops, &LoopCounters::presence_rejoin_failed);
  for (const auto& l : loops) {
    p.join.Merge(l->presence().join_hist());
    p.leave.Merge(l->presence().leave_hist());
    p.drop.Merge(l->presence().drop_hist());
    for (auto& [k, v] : l->presence().FailureReasons()) p.rejoin_failures[k] += v;
    // Per member, so one member's surplus never hides another's loss.
    for (const auto& c : l->connections()) {
      const PresenceMember* m = c->presence();
      if (!m || !m->required) continue;
      ++p.required;
      const int64_t want = ledger.ExpectedPrompt(c->stream(), m->subscribed_ns, m->own) +
                           ledger.ExpectedDrops(c->stream(), m->subscribed_ns);
      const int64_t got = static_cast<int64_t>(m->counted) + m->counted_drops;
      p.expected += want;
      p.seen += got;
      if (got < want) p.missing += want - got;
      if (got > want) p.unexpected += got - want;
    }
  }
  p.info_asked = queries.asked;
  p.info_expected = queries.expected_members;
  for (const auto& a : queries.answers) {
    ++p.info_answered;
    p.info_total += a.total;
    p.info_records += a.records;
    p.info_listed += a.ours;
  }
  return p;
}

void DiagnosePresence(const BenchOptions& o, const PresenceTotals& p, Diagnosis* d) {
  if (!p.active) return;
  if (p.received + p.own + p.unknown + p.foreign == 0 && p.joins > 0) {
    d->warnings.push_back(
        "no presence event arrived: does the server have presence (cable serve --broker memory, "
        "and --public or signed $pubsub streams)?");
  }
  if (p.unknown > 0) {
    d->problems.push_back(fmt::format(
        "{} presence events name this run's members but no action of theirs (never taken, "
        "another stream, or already superseded)",
        p.unknown));
  }
  if (p.bad_info > 0) {
    d->problems.push_back(
        fmt::format("{} join events carried other info than the member joined with", p.bad_info));
  }
  if (p.errors > 0) d->problems.push_back(fmt::format("{} presence queries failed", p.errors));
  if (p.rejoin_failed > 0) {
    d->problems.push_back(fmt::format("{} churning clients failed to come back", p.rejoin_failed));
  }
  if (p.info_answered < p.info_asked) {
    d->problems.push_back(fmt::format("{} of {} presence queries got no reply",
                                      p.info_asked - p.info_answered, p.info_asked));
  } else if (p.info_asked > 0 && p.info_listed != p.info_expected) {
    d->problems.push_back(
        fmt::format("the presence query listed {} of this run's members; {} were joined",
                    p.info_listed, p.info_expected));
  }
  if (p.info_total != p.info_records) {
    d->problems.push_back(fmt::format("presence replies said total {} but listed {} records",
                                      p.info_total, p.info_records));
  }
  if (p.skipped > 0) {
    d->warnings.push_back(fmt::format(
        "{} churn actions were skipped: every churner was away (--churn-rate x --churn-pause "
        "needs more than --churn {} clients)",
        p.skipped, o.churn));
  }
  if (p.late > 0) {
    d->warnings.push_back(fmt::format(
        "{} joins or churn actions left more than 10 ms behind schedule (the generator could "
        "not keep --rate / --churn-rate)",
        p.late));
  }
  if (p.foreign > 0) {
    d->warnings.push_back(fmt::format(
        "{} presence events were about members of another run (left on the stream for the "
        "server's presence TTL)",
        p.foreign));
  }
}

}  // namespace cable::bench
