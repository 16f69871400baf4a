#include "bench/script/runner.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "bench/clock.h"
#include "bench/interval_sampler.h"
#include "bench/loop.h"
#include "bench/plan.h"
#include "bench/preflight.h"
#include "bench/progress.h"
#include "bench/resources.h"
#include "bench/run_record.h"
#include "bench/script/driver.h"
#include "bench/script/publisher.h"
#include "bench/script/report.h"

namespace cable::bench::script {

namespace {

double Seconds(int64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

bool Connects(const std::vector<ScriptStep>& steps) {
  for (const auto& s : steps) {
    if (std::holds_alternative<conformance::ConnectStep>(s.action)) return true;
    if (const auto* l = std::get_if<LoopSpec>(&s.action); l && Connects(l->steps)) return true;
  }
  return false;
}

bool UsesBroadcast(const std::vector<ScriptStep>& steps) {
  for (const auto& s : steps) {
    if (std::holds_alternative<conformance::BroadcastStep>(s.action)) return true;
    if (const auto* l = std::get_if<LoopSpec>(&s.action); l && UsesBroadcast(l->steps)) return true;
  }
  return false;
}

class ScriptRun {
 public:
  ScriptRun(const Script& script, const ScriptOptions& options)
      : script_(script),
        so_(options),
        o_(options.bench),
        progress_(!options.bench.quiet, options.bench.clients) {}

  RunOutcome Execute();

 private:
  template <typename F>
  int64_t Sum(F field) {
    int64_t total = 0;
    for (auto& l : loops_) total += (l->counters.*field).Get();
    return total;
  }
  void Tick(bool force = false);
  std::vector<StepTotals> Steps();
  Totals Aggregate(const std::vector<StepTotals>& steps);

  const Script& script_;
  const ScriptOptions& so_;
  const BenchOptions& o_;
  Progress progress_;
  Plan plan_;
  RunShared shared_;
  std::unique_ptr<ScriptShared> script_shared_;
  std::unique_ptr<ScriptPublisher> publisher_;
  std::vector<std::unique_ptr<Loop>> loops_;

  int64_t t_start_ = 0;
  std::vector<TimelinePoint> timeline_;
  IntervalSampler sampler_;
};

void ScriptRun::Tick(bool force) {
  const int64_t now = NowNs();
  if (!force && now - sampler_.last_tick() < static_cast<int64_t>(o_.interval_s * 1e9)) return;
  if (sampler_.SinceLast(now) <= 0) return;
  TimelinePoint p;
  p.t_s = Seconds(now - t_start_);
  p.phase = "run";
  const int64_t ready = Sum(&LoopCounters::ready);
  p.failed = Sum(&LoopCounters::failed);
  p.dropped = Sum(&LoopCounters::dropped);
  p.connected = ready - p.dropped;
  const int64_t sent = Sum(&LoopCounters::sent);
  const int64_t unique = Sum(&LoopCounters::unique);
  Histogram connect, message;
  for (auto& l : loops_) l->TakeIntervals(&connect, &message);
  p.connect = Summarize(connect);
  p.message = Summarize(message);
  sampler_.Fill(p, now, ready, sent, unique,
                [this](size_t i) { return ThreadCpuSeconds(loops_[i]->native_thread()); });
  progress_.Update(p);
  timeline_.push_back(std::move(p));
}

std::vector<StepTotals> ScriptRun::Steps() {
  std::vector<StepTotals> t(script_.metrics.size());
  for (size_t m = 0; m < t.size(); ++m) {
    const MetricState& state = script_shared_->metric(static_cast<int>(m));
    t[m].sent = state.sent.load();
    t[m].send_failed = state.send_failed.load();
  }
  for (auto& l : loops_) {
    const ScriptDriver& d = *l->script();
    for (size_t m = 0; m < t.size(); ++m) {
      t[m].latency.Merge(d.histograms()[m]);
      const StepTally& tally = d.tallies()[m];
      t[m].tally.count += tally.count;
      t[m].tally.ok += tally.ok;
      t[m].tally.failed += tally.failed;
      t[m].tally.missing += tally.missing;
      t[m].missing += tally.missing;
    }
    for (const auto& c : d.clients()) {
      const Group& g = c->group();
      for (size_t slot = 0; slot < g.pairs.size(); ++slot) {
        const int m = g.pairs[slot];
        StepTotals& s = t[static_cast<size_t>(m)];
        const ReceiptLog& log = c->receipts()[slot];
        s.unique += log.unique;
        s.on_time += log.on_time;
        s.late += log.late;
        s.duplicates += log.duplicates;
        s.own += log.own;
        s.mismatched += log.mismatched;
        // A client that never connected expects nothing: its failure is
        // reported as a failed connect, not as every message it missed.
        if (!c->connected_once()) continue;
        ++s.listeners;
        const int64_t expected = std::max<int64_t>(0, s.sent - c->own_sent(m));
        s.expected += expected;
        s.missing += std::max<int64_t>(0, expected - log.on_time);
      }
    }
  }
  return t;
}

Totals ScriptRun::Aggregate(const std::vector<StepTotals>& steps) {
  Totals t;
  for (auto& l : loops_) {
    t.tcp.Merge(l->tcp_hist());
    t.welcome.Merge(l->welcome_hist());
    t.latency.Merge(l->latency_hist());
    for (auto& [k, v] : l->script()->failures()) t.failures[k] += v;
    for (auto& [k, v] : l->script()->drops()) t.drops[k] += v;
  }
  // Scripted clients are ready when welcomed (subscriptions are steps).
  t.ready = t.welcome;
  t.started = Sum(&LoopCounters::started);
  t.ready_count = Sum(&LoopCounters::ready);
  t.failed = Sum(&LoopCounters::failed);
  t.dropped = Sum(&LoopCounters::dropped);
  t.received = Sum(&LoopCounters::received);
  t.unique = Sum(&LoopCounters::unique);
  t.duplicates = Sum(&LoopCounters::duplicates);
  for (size_t m = 0; m < steps.size(); ++m) {
    const StepTotals& s = steps[m];
    if (script_.metrics[m].kind == Metric::Kind::kSend) {
      t.published += s.sent;
      t.publish_failed += s.send_failed;
    }
    t.missing += s.missing;
    t.measured_clients = std::max(t.measured_clients, s.listeners);
  }
  t.publish_requests = t.published;
  if (publisher_) t.publish_error = publisher_->last_error();
  return t;
}

RunOutcome ScriptRun::Execute() {
  RunOutcome out;
  Preflight pre = CheckBeforeRun(o_, o_.clients);
  if (!pre.fatal.empty()) {
    out.exit_code = pre.exit_code;
    out.fatal = std::move(pre.fatal);
    return out;
  }
  plan_ = std::move(pre.plan);
  script_shared_ = std::make_unique<ScriptShared>(script_, so_);
  bool uses_broadcast = false;
  for (const auto& g : script_.groups) uses_broadcast = uses_broadcast || UsesBroadcast(g.steps);
  if (uses_broadcast) {
    publisher_ = std::make_unique<ScriptPublisher>(*script_shared_, o_.publisher);
    if (auto st = publisher_->Prepare(); !st.ok()) {
      out.exit_code = 1;
      out.fatal = "cannot publish: " + st.error().message;
      return out;
    }
    script_shared_->set_publisher(publisher_.get());
    publisher_->Start();
  }

  RunRecord run;
  run.start.fd_limit = pre.fd_limit;
  run.start.started_at = UtcNow();
  run.start.load_avg_1m = LoadAverage1();
  t_start_ = run.start.t_ns = NowNs();
  if (o_.server_pid > 0) run.start.server = SampleProcess(o_.server_pid);
  sampler_.Start(t_start_, o_.server_pid, run.start.server.cpu_s(),
                 static_cast<size_t>(o_.threads));
  run.start.kernel = SampleKernelTcp();

  shared_.plan = &plan_;
  shared_.options = &o_;
  shared_.published = std::make_unique<std::atomic<int64_t>[]>(1);
  shared_.published[0].store(0);
  shared_.script = script_shared_.get();
  for (int t = 0; t < o_.threads; ++t)
    loops_.push_back(std::make_unique<Loop>(t, o_.threads, shared_));
  for (auto& l : loops_) l->Start();

  run.connect.before = run.message.before = MarkCpu(o_.server_pid);
  const int64_t t0 = NowNs() + 5'000'000;
  run.message.t0_ns = t0;
  for (auto& l : loops_) l->script()->Begin(t0);
  const int64_t total = script_.total_clients();
  const int64_t deadline = t_start_ + static_cast<int64_t>(o_.max_time_s * 1e9);
  bool hit_max_time = false;
  while (script_shared_->clients_done.load() < total) {
    if (NowNs() >= deadline) {
      hit_max_time = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    Tick();
  }
  run.message.send_end_ns = run.message.end_ns = NowNs();
  run.connect.after = run.message.after = MarkCpu(o_.server_pid);
  if (publisher_) {
    publisher_->Stop();
    run.message.publisher_cpu_s = publisher_->cpu_s();
  }
  Tick(true);
  if (o_.server_pid > 0) run.connect.server = SampleProcess(o_.server_pid);
  run.connect.kernel = SampleKernelTcp();
  run.connect.span_s = Seconds(std::max<int64_t>(0, run.message.end_ns - t0));

  if (o_.server_pid > 0) run.end.server = SampleProcess(o_.server_pid);
  for (auto& l : loops_) run.end.thread_cpu_s.push_back(ThreadCpuSeconds(l->native_thread()));
  for (auto& l : loops_) l->Shutdown();
  run.end.cpu_s = ProcessCpuSeconds(&run.end.cpu_user_s, &run.end.cpu_sys_s);
  run.end.t_ns = NowNs();

  std::vector<StepTotals> steps = Steps();
  run.totals = Aggregate(steps);
  for (const auto& s : steps) run.message.expected += s.expected;
  run.message.drained = !hit_max_time;
  run.peaks = sampler_.peaks();
  run.timeline = std::move(timeline_);

  Diagnosis& d = run.diagnosis;
  const Totals& t = run.totals;
  if (t.failed > 0) {
    std::string reasons;
    for (auto& [k, v] : t.failures)
      reasons += fmt::format("{}{}={}", reasons.empty() ? "" : ", ", k, v);
    d.problems.push_back(fmt::format("{} connects failed ({})", t.failed, reasons));
  }
  if (t.dropped > 0)
    d.problems.push_back(fmt::format("{} clients lost their connection", t.dropped));
  std::map<std::string, int64_t> stops;
  for (auto& l : loops_)
    for (auto& [k, v] : l->script()->stops()) stops[k] += v;
  int64_t stopped = 0;
  std::string stop_reasons;
  for (auto& [k, v] : stops) {
    stopped += v;
    stop_reasons += fmt::format("{}{}={}", stop_reasons.empty() ? "" : ", ", k, v);
  }
  if (stopped > 0) {
    d.problems.push_back(fmt::format("{} clients stopped before the end of their steps ({})",
                                     stopped, stop_reasons));
  }
  for (auto& p : StepProblems(script_, steps)) d.problems.push_back(std::move(p));
  if (hit_max_time) {
    d.problems.push_back(fmt::format("the run hit --max-time ({}s) with {} clients still running",
                                     o_.max_time_s, total - script_shared_->clients_done.load()));
  }
  if (run.peaks.saturated_intervals > 0) {
    d.warnings.push_back(fmt::format(
        "the generator was saturated (a loop thread above {:.0f}% of a core) in {} of {} "
        "intervals; latencies may include generator delay: add --threads or give it a core of "
        "its own",
        kSaturatedPct, run.peaks.saturated_intervals, run.timeline.size()));
  }
  run.machine.host = HostName();
  run.machine.kernel = KernelRelease();
  run.machine.cpu_model = CpuModel();
  run.machine.cpus_online = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  run.machine.generator_cpus = UsableCpus();
  run.machine.load_avg_1m = LoadAverage1();
  run.machine.self = SampleProcess(getpid());

  out.exit_code = d.problems.empty() ? 0 : 1;
  Json r = BuildRunReport(o_, run);
  r["scenario"] = "script";
  // The headline latency is every measured receipt (BuildRunReport shows
  // the connect scenario's time to ready for a run without subscriptions).
  r["latency_us"] = PercentilesJson(Summarize(run.totals.latency));
  // Clients of groups without a connect step (publishers) open no socket.
  int64_t connecting = 0;
  for (const auto& g : script_.groups) connecting += Connects(g.steps) ? g.count : 0;
  r["connections"]["target"] = connecting;
  r["histograms"]["latency"] = BucketsJson(run.totals.latency);
  Json s;
  s["file"] = script_.file;
  s["name"] = script_.name;
  s["scale"] = script_.scale;
  s["run"] = script_shared_->run_id();
  s["stopped"] = Json::object();
  for (auto& [k, v] : stops) s["stopped"][k] = v;
  s["groups"] = Json::array();
  for (const auto& g : script_.groups)
    s["groups"].push_back({{"name", g.name}, {"clients", g.count}});
  r["script"] = s;
  r["steps"] = StepsJson(script_, steps);
  r["histograms"]["steps"] = StepHistogramsJson(script_, steps);
  out.report = std::move(r);
  progress_.Finish();
  return out;
}

}  // namespace

RunOutcome RunScript(const Script& script, const ScriptOptions& options) {
  return ScriptRun(script, options).Execute();
}

}  // namespace cable::bench::script
