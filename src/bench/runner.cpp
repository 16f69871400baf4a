#include "bench/runner.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <memory>
#include <thread>

#include "bench/broadcaster.h"
#include "bench/clock.h"
#include "bench/interval_sampler.h"
#include "bench/loop.h"
#include "bench/plan.h"
#include "bench/preflight.h"
#include "bench/presence_check.h"
#include "bench/progress.h"
#include "bench/reliability.h"
#include "bench/resources.h"
#include "bench/run_record.h"
#include "bench/shard.h"

namespace cable::bench {

namespace {

double Seconds(int64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

int64_t Nanos(double seconds) {
  return static_cast<int64_t>(seconds * 1e9);
}

// Problems and warnings from what the run measured; they decide the exit code.
Diagnosis Diagnose(const BenchOptions& o, const RunRecord& run, bool hit_max_time) {
  const Totals& t = run.totals;
  Diagnosis d;
  d.problems = run.message.problems;
  if (t.failed > 0) {
    d.problems.push_back(
        fmt::format("{} of {} clients failed to connect", t.failed, ShardClients(o)));
  }
  if (t.dropped > 0)
    d.problems.push_back(fmt::format("{} clients lost their connection", t.dropped));
  const bool presence = o.scenario == Scenario::kPresence;
  if (t.missing > 0) {
    d.problems.push_back(fmt::format(
        "{} expected {} never arrived{}", t.missing, presence ? "presence events" : "messages",
        run.message.drained ? "" : fmt::format(" (waited {}s)", o.wait_s)));
  }
  if (t.duplicates > 0) {
    d.problems.push_back(
        fmt::format("{} duplicate {}", t.duplicates, presence ? "presence events" : "deliveries"));
  }
  if (t.extra > 0) d.problems.push_back(fmt::format("{} deliveries nobody published", t.extra));
  if (t.publish_failed > 0) {
    d.problems.push_back(fmt::format("{} messages could not be published{}", t.publish_failed,
                                     t.publish_error.empty() ? "" : " (" + t.publish_error + ")"));
  }
  if (hit_max_time) d.problems.push_back(fmt::format("the run hit --max-time ({}s)", o.max_time_s));
  if (run.start_lag_ns > 0) {
    d.warnings.push_back(fmt::format(
        "the measured phase began {:.3f}s after --start-at (connecting and --settle took "
        "longer): other generators started without this one; choose a later --start-at",
        Seconds(run.start_lag_ns)));
  }
  if (run.peaks.saturated_intervals > 0) {
    d.warnings.push_back(fmt::format(
        "the generator was saturated (a loop thread above {:.0f}% of a core) in {} of {} "
        "intervals; "
        "latencies may include generator delay: add --threads or give it a core of its own",
        kSaturatedPct, run.peaks.saturated_intervals, run.timeline.size()));
  }
  if (t.late_starts > 0 && o.connect_rate > 0) {
    d.warnings.push_back(
        fmt::format("{} connects started more than 10 ms behind the ramp "
                    "(--connect-rate {} not sustained by the generator or the "
                    "--connect-concurrency cap)",
                    t.late_starts, o.connect_rate));
  }
  DiagnoseReliability(o, t, &d);
  DiagnosePresence(o, t.presence, &d);
  if (t.publish_late > 0 && o.burst == 0) {
    d.warnings.push_back(
        fmt::format("{} publications left more than 1 ms late (max lag {:.1f} ms); "
                    "their latency is measured from the scheduled time",
                    t.publish_late, t.publish_max_lag_ns / 1e6));
  }
  return d;
}

MachineSample SampleMachine() {
  MachineSample m;
  m.host = HostName();
  m.kernel = KernelRelease();
  m.cpu_model = CpuModel();
  m.cpus_online = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  m.generator_cpus = UsableCpus();
  m.load_avg_1m = LoadAverage1();
  m.self = SampleProcess(getpid());
  return m;
}

class Run {
 public:
  explicit Run(const BenchOptions& o) : o_(o), progress_(!o.quiet, ShardClients(o)) {}
  RunOutcome Execute();

 private:
  StartSample Start(int64_t fd_limit);
  ConnectPhase Connect();
  MessagePhase Messages();
  MessagePhase Publish();
  MessagePhase Echo();
  MessagePhase Hold();
  // --start-at: waits, with a countdown, until the agreed wall-clock time
  // and returns it as a monotonic instant (the phase's t0); without it, or
  // once the time has passed, returns a moment from now.
  int64_t PhaseStart(bool loops_running);
  // Presence: joins at --rate, churn, the drain of every event, the query.
  MessagePhase Presence();
  void QueryPresence();
  // Waits for the deliveries the measured clients should get.
  void Drain(MessagePhase* m);
  // Reconnect scenario: the drop is scheduled with publishing; this waits
  // for every dropped client to be back and its replay to end.
  void BeginReconnects(int64_t publish_t0_ns);
  void AwaitReconnects();
  EndSample Stop();
  Totals Aggregate();

  template <typename F>
  int64_t Sum(F field) {
    int64_t total = 0;
    for (auto& l : loops_) total += (l->counters.*field).Get();
    return total;
  }
  bool AllLoops(std::atomic<bool> LoopCounters::*flag) {
    for (auto& l : loops_) {
      if (!(l->counters.*flag).load()) return false;
    }
    return true;
  }
  int64_t Sent() {
    if (o_.scenario == Scenario::kPresence) {
      return Sum(&LoopCounters::presence_joins) + Sum(&LoopCounters::presence_leaves) +
             Sum(&LoopCounters::presence_drops);
    }
    if (o_.scenario == Scenario::kBroadcast && broadcaster_) {
      return o_.publish_via == PublishVia::kPerform ? Sum(&LoopCounters::sent)
                                                    : broadcaster_->attempted();
    }
    return Sum(&LoopCounters::sent);
  }
  int64_t Published() {
    int64_t total = 0;
    for (int k = 0; k < o_.streams; ++k) total += shared_.published[k].load();
    return total;
  }
  // Runs `fn` on every loop's thread, one loop at a time.
  void OnEachLoop(const std::function<void(Loop*)>& fn) {
    for (auto& l : loops_) {
      Loop* loop = l.get();
      loop->RunSync([&fn, loop] { fn(loop); });
    }
  }
  // Marks the clients that are ready now as the ones the phase measures.
  void FreezeMeasured() {
    OnEachLoop([](Loop* loop) {
      for (const auto& c : loop->connections()) c->measured = c->ready();
    });
  }
  // Polls until `done()` or `deadline_ns`, ticking the timeline. False when
  // the deadline (or --max-time) cut it short.
  bool WaitUntil(const std::function<bool()>& done, int64_t deadline_ns, const char* phase);
  void Tick(const char* phase, bool force = false);
  double ThreadCpu(size_t i);

  const BenchOptions& o_;
  Progress progress_;
  RunShared shared_;
  Plan plan_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::unique_ptr<Broadcaster> broadcaster_;
  int64_t t_start_ = 0;
  int64_t deadline_ = 0;
  bool hit_max_time_ = false;
  int64_t reconnect_drop_ns_ = 0;
  int64_t start_lag_ns_ = 0;  // how late the measured phase began after --start-at
  PresenceLedger presence_ledger_;
  PresenceQueries presence_queries_;

  // Timeline state
  std::vector<TimelinePoint> timeline_;
  IntervalSampler sampler_;
};

double Run::ThreadCpu(size_t i) {
  return ThreadCpuSeconds(loops_[i]->native_thread());
}

void Run::Tick(const char* phase, bool force) {
  int64_t now = NowNs();
  auto interval = static_cast<int64_t>(o_.interval_s * 1e9);
  if (!force && now - sampler_.last_tick() < interval) return;
  if (sampler_.SinceLast(now) <= 0) return;
  TimelinePoint p;
  p.t_s = Seconds(now - t_start_);
  p.phase = phase;
  int64_t ready = Sum(&LoopCounters::ready);
  p.failed = Sum(&LoopCounters::failed);
  p.dropped = Sum(&LoopCounters::dropped);
  p.connected = ready - p.dropped - Sum(&LoopCounters::rejoin_offline) -
                Sum(&LoopCounters::rejoin_failed) - Sum(&LoopCounters::presence_offline) -
                Sum(&LoopCounters::presence_rejoin_failed);
  int64_t sent = Sent();
  int64_t unique = Sum(&LoopCounters::unique);
  Histogram connect, message;
  for (auto& l : loops_) l->TakeIntervals(&connect, &message);
  p.connect = Summarize(connect);
  p.message = Summarize(message);
  sampler_.Fill(p, now, ready, sent, unique, [this](size_t i) { return ThreadCpu(i); });
  progress_.Update(p);
  timeline_.push_back(std::move(p));
}

bool Run::WaitUntil(const std::function<bool()>& done, int64_t deadline_ns, const char* phase) {
  while (!done()) {
    int64_t now = NowNs();
    if (now >= deadline_) {
      hit_max_time_ = true;
      return false;
    }
    if (now >= deadline_ns) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    Tick(phase);
  }
  return true;
}

StartSample Run::Start(int64_t fd_limit) {
  shared_.plan = &plan_;
  shared_.options = &o_;
  shared_.published = std::make_unique<std::atomic<int64_t>[]>(static_cast<size_t>(o_.streams));
  for (int k = 0; k < o_.streams; ++k) shared_.published[k].store(0);
  if (o_.scenario == Scenario::kPresence) {
    shared_.presence_board = std::make_unique<PresenceBoard>(o_.clients, o_.streams);
  }

  StartSample s;
  s.fd_limit = fd_limit;
  s.started_at = UtcNow();
  s.unix_ns = RealtimeNs();
  s.load_avg_1m = LoadAverage1();
  t_start_ = s.t_ns = NowNs();
  deadline_ = t_start_ + Nanos(o_.max_time_s);
  if (o_.server_pid > 0) s.server = SampleProcess(o_.server_pid);
  sampler_.Start(t_start_, o_.server_pid, s.server.cpu_s(), static_cast<size_t>(o_.threads));
  s.kernel = SampleKernelTcp();

  for (int t = 0; t < o_.threads; ++t)
    loops_.push_back(std::make_unique<Loop>(t, o_.threads, shared_));
  for (auto& l : loops_) l->Start();
  return s;
}

ConnectPhase Run::Connect() {
  ConnectPhase c;
  c.before = MarkCpu(o_.server_pid);
  int64_t t0 = NowNs();
  for (auto& l : loops_) l->BeginConnect(t0);
  WaitUntil([&] { return AllLoops(&LoopCounters::connect_done); }, INT64_MAX, "connect");
  int64_t last_ready_ns = 0;
  for (auto& l : loops_) last_ready_ns = std::max(last_ready_ns, l->counters.last_ready_ns.load());
  int64_t end = NowNs();
  c.span_s = Sum(&LoopCounters::ready) > 0 ? Seconds(last_ready_ns - t0) : Seconds(end - t0);
  c.after = MarkCpu(o_.server_pid);
  Tick("connect", true);

  // Settle, then measure memory of the connected state.
  WaitUntil([] { return false; }, NowNs() + Nanos(o_.settle_s), "settle");
  if (o_.server_pid > 0) c.server = SampleProcess(o_.server_pid);
  c.kernel = SampleKernelTcp();
  return c;
}

MessagePhase Run::Messages() {
  int64_t connected = Sum(&LoopCounters::ready) - Sum(&LoopCounters::dropped);
  if (connected == 0 && o_.scenario != Scenario::kConnect) {
    MessagePhase m;
    m.problems.push_back("no client connected; nothing to measure");
    return m;
  }
  switch (o_.scenario) {
    case Scenario::kBroadcast:
      return Publish();
    case Scenario::kEcho:
      return Echo();
    case Scenario::kPresence:
      return Presence();
    case Scenario::kConnect:
      break;
  }
  return Hold();
}

MessagePhase Run::Publish() {
  MessagePhase m;
  // Freeze who is expected to receive what: every client ready now.
  std::vector<Sender> senders(static_cast<size_t>(o_.streams));
  OnEachLoop([&](Loop* loop) {
    for (const auto& c : loop->connections()) c->measured = c->ready();
    for (int k = 0; k < o_.streams; ++k) {
      auto& s = senders[static_cast<size_t>(k)];
      if (!s.connection) {
        if (Connection* c = loop->FirstReadyOf(k)) s = {loop, c};
      }
    }
  });
  broadcaster_ = std::make_unique<Broadcaster>(shared_, std::move(senders));
  if (auto st = broadcaster_->Prepare(); !st.ok()) {
    m.problems.push_back("cannot publish: " + st.error().message);
    broadcaster_.reset();
    return m;
  }
  m.t0_ns = PhaseStart(true);
  m.before = MarkCpu(o_.server_pid);
  int64_t end = o_.duration_s > 0 ? m.t0_ns + Nanos(o_.duration_s) : INT64_MAX;
  broadcaster_->Start(m.t0_ns, end);
  if (o_.reconnect > 0) BeginReconnects(m.t0_ns);
  WaitUntil([&] { return broadcaster_->done(); }, INT64_MAX, "publish");
  broadcaster_->Stop();
  m.publisher_cpu_s = broadcaster_->cpu_s();
  m.send_end_ns = broadcaster_->finished_ns() ? broadcaster_->finished_ns() : NowNs();
  // Perform commands may still sit in a loop's queue: let them go out
  // before deciding what is expected.
  for (auto& l : loops_) l->RunSync([] {});
  std::vector<int64_t> subscribers(static_cast<size_t>(o_.streams), 0);
  OnEachLoop([&](Loop* loop) {
    for (const auto& c : loop->connections()) {
      if (c->measured) subscribers[static_cast<size_t>(c->stream())]++;
    }
  });
  for (int k = 0; k < o_.streams; ++k) {
    m.expected += subscribers[static_cast<size_t>(k)] * shared_.published[k].load();
  }
  if (o_.reconnect > 0) AwaitReconnects();
  Drain(&m);
  if (o_.reconnect > 0) OnEachLoop([](Loop* loop) { loop->reconnector().Finish(); });
  return m;
}

void Run::BeginReconnects(int64_t publish_t0_ns) {
  reconnect_drop_ns_ = publish_t0_ns + Nanos(o_.reconnect_at_s);
  // History by time is in whole seconds: everything this run published.
  const int64_t since = static_cast<int64_t>(std::time(nullptr));
  for (auto& l : loops_) l->reconnector().Begin(reconnect_drop_ns_, since);
}

void Run::AwaitReconnects() {
  // The last one back after the spread and the pause, a handshake of at
  // most --connect-timeout, then up to --wait for the replay.
  int64_t deadline = reconnect_drop_ns_ + Nanos(o_.reconnect_spread_s) +
                     Nanos(o_.reconnect_pause_s) + Nanos(o_.connect_timeout_s) + Nanos(o_.wait_s);
  WaitUntil([&] { return AllLoops(&LoopCounters::rejoin_done); }, deadline, "reconnect");
}

MessagePhase Run::Echo() {
  MessagePhase m;
  const int64_t t0 = PhaseStart(true);
  FreezeMeasured();
  m.before = MarkCpu(o_.server_pid);
  m.t0_ns = t0;
  int64_t end = o_.duration_s > 0 ? m.t0_ns + Nanos(o_.duration_s) : INT64_MAX;
  for (auto& l : loops_) l->BeginEcho(m.t0_ns, end, o_.count);
  WaitUntil([&] { return AllLoops(&LoopCounters::send_done); },
            end == INT64_MAX ? INT64_MAX : end + 1'000'000'000, "echo");
  m.send_end_ns = NowNs();
  for (auto& l : loops_) l->RunSync([] {});
  m.expected = Sum(&LoopCounters::sent);
  Drain(&m);
  return m;
}

void Run::Drain(MessagePhase* m) {
  const int64_t expected = m->expected;
  m->drained = WaitUntil([&] { return Sum(&LoopCounters::unique) >= expected; },
                         NowNs() + Nanos(o_.wait_s), "drain");
  m->end_ns = NowNs();
  m->after = MarkCpu(o_.server_pid);
}

MessagePhase Run::Presence() {
  MessagePhase m;
  m.before = MarkCpu(o_.server_pid);
  m.t0_ns = NowNs() + 1'000'000;
  for (auto& l : loops_) l->presence().BeginJoins(m.t0_ns);
  // The last client is due at clients/rate; its subscription may then take
  // up to --connect-timeout (the loops time it out themselves).
  const int64_t joins_end =
      m.t0_ns + Nanos(o_.clients / o_.rate) + Nanos(o_.connect_timeout_s) + 1'000'000'000;
  WaitUntil([&] { return AllLoops(&LoopCounters::presence_joined); }, joins_end, "join");
  if (o_.churn > 0) {
    const int64_t t0 = NowNs() + 1'000'000;
    const int64_t end = t0 + Nanos(o_.duration_s);
    for (auto& l : loops_) l->presence().BeginChurn(t0, end);
    WaitUntil([&] { return AllLoops(&LoopCounters::presence_churned); },
              end + Nanos(o_.churn_pause_s) + Nanos(o_.connect_timeout_s) + 1'000'000'000, "churn");
  }
  m.send_end_ns = NowNs();
  // Every action is taken: what each member must see is now fixed.
  presence_ledger_ = PresenceLedger(o_.streams);
  int64_t last_drop_ns = 0;
  OnEachLoop([&](Loop* loop) {
    for (const ActionRecord& a : loop->presence().actions()) {
      presence_ledger_.Add(a);
      if (a.drop) last_drop_ns = std::max(last_drop_ns, a.t_ns);
    }
  });
  presence_ledger_.Seal();
  OnEachLoop([&](Loop* loop) {
    for (const auto& c : loop->connections()) {
      const PresenceMember* p = c->presence();
      if (!p->required) continue;
      m.expected += presence_ledger_.ExpectedPrompt(c->stream(), p->subscribed_ns, p->own) +
                    presence_ledger_.ExpectedDrops(c->stream(), p->subscribed_ns);
    }
  });
  // A dropped member's leave comes once the server's presence TTL is over.
  int64_t deadline = NowNs() + Nanos(o_.wait_s);
  if (last_drop_ns > 0) {
    deadline = std::max(deadline, last_drop_ns + Nanos(o_.presence_ttl_s) + Nanos(o_.wait_s));
  }
  const int64_t expected = m.expected;
  m.drained = WaitUntil([&] { return Sum(&LoopCounters::unique) >= expected; }, deadline, "drain");
  m.end_ns = NowNs();
  m.after = MarkCpu(o_.server_pid);
  QueryPresence();
  return m;
}

void Run::QueryPresence() {
  // One member per stream that stayed connected asks; this run's members
  // joined now are what every reply should list.
  std::vector<std::pair<Loop*, Connection*>> askers(static_cast<size_t>(o_.streams));
  OnEachLoop([&](Loop* loop) {
    for (const auto& c : loop->connections()) {
      const PresenceMember* p = c->presence();
      if (!c->ready() || p->phase != PresenceMember::Phase::kJoined) continue;
      ++presence_queries_.expected_members;
      auto& asker = askers[static_cast<size_t>(c->stream())];
      if (!asker.second && !p->churns) asker = {loop, c.get()};
    }
  });
  for (auto& [loop, c] : askers) {
    if (!c) continue;
    ++presence_queries_.asked;
    loop->presence().PostQuery(c);
  }
  const int64_t asked = presence_queries_.asked;
  WaitUntil([&] { return Sum(&LoopCounters::presence_answers) >= asked; },
            NowNs() + Nanos(o_.connect_timeout_s), "query");
  for (auto& l : loops_) {
    for (auto& a : l->presence().Answers()) presence_queries_.answers.push_back(a);
  }
}

int64_t Run::PhaseStart(bool loops_running) {
  if (o_.start_at_unix_ns == 0) return NowNs() + 1'000'000;
  const int64_t target = NowNs() + (o_.start_at_unix_ns - RealtimeNs());
  const std::string at = FormatUtcMillis(o_.start_at_unix_ns);
  if (NowNs() > target) {
    start_lag_ns_ = NowNs() - target;
    return NowNs() + 1'000'000;
  }
  // The wait does not count against --max-time.
  deadline_ += target - NowNs();
  for (int64_t now = NowNs(); now < target; now = NowNs()) {
    if (loops_running) Tick("wait");
    const int64_t connected =
        loops_running ? Sum(&LoopCounters::ready) - Sum(&LoopCounters::dropped) : -1;
    progress_.Countdown(Seconds(target - now), at, connected);
    SleepUntilNs(std::min(target, now + 100'000'000));
  }
  progress_.EndCountdown();
  return target;
}

MessagePhase Run::Hold() {
  MessagePhase m;
  m.before = MarkCpu(o_.server_pid);
  m.t0_ns = NowNs();
  WaitUntil([] { return false; }, m.t0_ns + Nanos(o_.hold_s), "hold");
  m.send_end_ns = m.end_ns = NowNs();
  m.after = MarkCpu(o_.server_pid);
  return m;
}

EndSample Run::Stop() {
  EndSample e;
  if (o_.server_pid > 0) e.server = SampleProcess(o_.server_pid);
  for (size_t i = 0; i < loops_.size(); ++i) e.thread_cpu_s.push_back(ThreadCpu(i));
  for (auto& l : loops_) l->Shutdown();
  e.cpu_s = ProcessCpuSeconds(&e.cpu_user_s, &e.cpu_sys_s);
  e.t_ns = NowNs();
  return e;
}

Totals Run::Aggregate() {
  Totals t;
  for (auto& l : loops_) {
    t.tcp.Merge(l->tcp_hist());
    t.welcome.Merge(l->welcome_hist());
    t.ready.Merge(l->ready_hist());
    t.latency.Merge(l->latency_hist());
    t.ack.Merge(l->ack_hist());
    for (auto& [k, v] : l->FailureReasons()) t.failures[k] += v;
    for (auto& [k, v] : l->DropReasons()) t.drops[k] += v;
    for (const auto& c : l->connections()) {
      if (!c->measured) continue;
      ++t.measured_clients;
      int64_t want = o_.scenario == Scenario::kBroadcast ? shared_.published[c->stream()].load()
                                                         : static_cast<int64_t>(c->sent);
      int64_t got = c->seq().unique();
      if (got < want) t.missing += want - got;
      if (got > want) t.extra += got - want;
      t.out_of_order += c->seq().out_of_order();
    }
    t.max_connect_lag_ns = std::max(t.max_connect_lag_ns, l->max_connect_lag_ns());
  }
  t.started = Sum(&LoopCounters::started);
  t.ready_count = Sum(&LoopCounters::ready);
  t.dropped = Sum(&LoopCounters::dropped);
  t.duplicates = Sum(&LoopCounters::duplicates);
  t.unique = Sum(&LoopCounters::unique);
  t.received = Sum(&LoopCounters::received);
  t.acks = Sum(&LoopCounters::acks);
  t.late_starts = Sum(&LoopCounters::late_starts);
  int64_t not_started = ShardClients(o_) - t.started;
  if (not_started > 0) t.failures["not_started"] += not_started;
  t.failed = Sum(&LoopCounters::failed) + not_started;

  t.published = o_.scenario == Scenario::kBroadcast ? Published() : Sum(&LoopCounters::sent);
  t.publish_failed = broadcaster_ ? broadcaster_->failed() : Sum(&LoopCounters::send_failed);
  if (o_.scenario == Scenario::kBroadcast && o_.publish_via == PublishVia::kPerform) {
    t.publish_failed += Sum(&LoopCounters::send_failed);
  }
  t.publish_requests = broadcaster_ && o_.publish_via != PublishVia::kPerform
                           ? broadcaster_->requests()
                           : t.published;
  if (o_.scenario == Scenario::kPresence) {
    t.presence = SumPresence(plan_, loops_, presence_ledger_, presence_queries_);
    t.measured_clients = t.presence.required;
    t.missing = t.presence.missing;
    t.extra = t.presence.unexpected;
    t.published = t.presence.joins + t.presence.leaves + t.presence.drops;
    t.publish_requests = t.published;
  }
  t.positions = SumPositions(o_, loops_);
  t.reconnect = SumReconnects(loops_);
  if (broadcaster_) {
    t.publish_error = broadcaster_->last_error();
    t.publish_late = broadcaster_->late();
    t.publish_max_lag_ns = broadcaster_->max_lag_ns();
  }
  return t;
}

RunOutcome Run::Execute() {
  RunOutcome out;
  Preflight pre = CheckBeforeRun(o_, ShardClients(o_));
  if (!pre.fatal.empty()) {
    out.exit_code = pre.exit_code;
    out.fatal = std::move(pre.fatal);
    return out;
  }
  plan_ = std::move(pre.plan);
  RunRecord run;
  // The connect scenario measures the connects themselves: they begin at
  // --start-at. The others connect first and start their messages then.
  if (o_.scenario == Scenario::kConnect) PhaseStart(false);
  run.start = Start(pre.fd_limit);
  run.connect = Connect();
  run.message = Messages();
  Tick(o_.scenario == Scenario::kConnect ? "hold" : "drain", true);
  run.end = Stop();
  run.totals = Aggregate();
  run.peaks = sampler_.peaks();
  run.timeline = std::move(timeline_);
  run.start_lag_ns = start_lag_ns_;
  run.diagnosis = Diagnose(o_, run, hit_max_time_);
  run.machine = SampleMachine();

  out.exit_code = run.diagnosis.problems.empty() ? 0 : 1;
  out.report = BuildRunReport(o_, run);
  progress_.Finish();
  return out;
}

}  // namespace

RunOutcome RunBenchmark(const BenchOptions& options) {
  return Run(options).Execute();
}

}  // namespace cable::bench
