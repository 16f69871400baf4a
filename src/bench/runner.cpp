#include "bench/runner.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "bench/broadcaster.h"
#include "bench/clock.h"
#include "bench/loop.h"
#include "bench/plan.h"
#include "bench/progress.h"
#include "bench/resources.h"

#ifndef CABLE_VERSION
#define CABLE_VERSION "dev"
#endif

namespace cable::bench {

namespace {

constexpr double kSaturatedPct = 80.0;

double ProcessCpuSeconds(double* user = nullptr, double* sys = nullptr) {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double u = static_cast<double>(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec / 1e6;
  double s = static_cast<double>(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec / 1e6;
  if (user) *user = u;
  if (sys) *sys = s;
  return u + s;
}

std::string UtcNow() {
  auto now = std::chrono::system_clock::now();
  auto t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", tm);
}

double Seconds(int64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

Json SampleJson(const ProcessSample& s) {
  Json j;
  j["rss_kb"] = s.rss_kb;
  j["pss_kb"] = s.pss_kb;
  j["cpu_s"] = std::round(s.cpu_s() * 1000) / 1000;
  j["threads"] = s.threads;
  return j;
}

class Run {
 public:
  explicit Run(const BenchOptions& o) : o_(o), progress_(!o.quiet, o.clients) {}
  RunOutcome Execute();

 private:
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
  // Polls until `done()` or `deadline_ns`, ticking the timeline. False when
  // the deadline (or --max-time) cut it short.
  bool WaitUntil(const std::function<bool()>& done, int64_t deadline_ns, const char* phase);
  void Tick(const char* phase, bool force = false);
  double ThreadCpu(size_t i);
  void MarkCpu(double* gen_cpu, double* server_cpu, double* server_sys = nullptr);

  const BenchOptions& o_;
  Progress progress_;
  RunShared shared_;
  Plan plan_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::unique_ptr<Broadcaster> broadcaster_;
  int64_t t_start_ = 0;
  int64_t deadline_ = 0;
  bool hit_max_time_ = false;

  // Timeline state
  std::vector<TimelinePoint> timeline_;
  int64_t last_tick_ = 0;
  int64_t last_ready_ = 0, last_sent_ = 0, last_unique_ = 0;
  double last_proc_cpu_ = 0, last_server_cpu_ = 0;
  std::vector<double> last_thread_cpu_;
  int saturated_intervals_ = 0;
  double max_thread_pct_ = 0;
  double max_server_pct_ = 0;
  int64_t max_server_rss_kb_ = 0;
};

double Run::ThreadCpu(size_t i) {
  return ThreadCpuSeconds(loops_[i]->native_thread());
}

void Run::Tick(const char* phase, bool force) {
  int64_t now = NowNs();
  auto interval = static_cast<int64_t>(o_.interval_s * 1e9);
  if (!force && now - last_tick_ < interval) return;
  double dt = Seconds(now - last_tick_);
  if (dt <= 0) return;
  TimelinePoint p;
  p.t_s = Seconds(now - t_start_);
  p.phase = phase;
  int64_t ready = Sum(&LoopCounters::ready);
  p.failed = Sum(&LoopCounters::failed);
  p.dropped = Sum(&LoopCounters::dropped);
  p.connected = ready - p.dropped;
  int64_t sent = Sent();
  int64_t unique = Sum(&LoopCounters::unique);
  p.connects_per_s = static_cast<double>(ready - last_ready_) / dt;
  p.sent_per_s = static_cast<double>(sent - last_sent_) / dt;
  p.received_per_s = static_cast<double>(unique - last_unique_) / dt;
  Histogram connect, message;
  for (auto& l : loops_) l->TakeIntervals(&connect, &message);
  p.connect = Summarize(connect);
  p.message = Summarize(message);
  double proc = ProcessCpuSeconds();
  p.gen_cpu_pct = (proc - last_proc_cpu_) / dt * 100;
  for (size_t i = 0; i < loops_.size(); ++i) {
    double c = ThreadCpu(i);
    p.gen_max_thread_pct = std::max(p.gen_max_thread_pct, (c - last_thread_cpu_[i]) / dt * 100);
    last_thread_cpu_[i] = c;
  }
  if (o_.server_pid > 0) {
    ProcessSample s = SampleProcess(o_.server_pid);
    if (s.ok) {
      p.server_cpu_pct = (s.cpu_s() - last_server_cpu_) / dt * 100;
      p.server_rss_kb = s.rss_kb;
      last_server_cpu_ = s.cpu_s();
      max_server_pct_ = std::max(max_server_pct_, p.server_cpu_pct);
      max_server_rss_kb_ = std::max(max_server_rss_kb_, s.rss_kb);
    }
  }
  if (p.gen_max_thread_pct > kSaturatedPct) ++saturated_intervals_;
  max_thread_pct_ = std::max(max_thread_pct_, p.gen_max_thread_pct);
  last_tick_ = now;
  last_ready_ = ready;
  last_sent_ = sent;
  last_unique_ = unique;
  last_proc_cpu_ = proc;
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

void Run::MarkCpu(double* gen_cpu, double* server_cpu, double* server_sys) {
  *gen_cpu = ProcessCpuSeconds();
  *server_cpu = 0;
  if (o_.server_pid <= 0) return;
  ProcessSample s = SampleProcess(o_.server_pid);
  *server_cpu = s.cpu_s();
  if (server_sys != nullptr) *server_sys = s.cpu_sys_s;
}

RunOutcome Run::Execute() {
  RunOutcome out;
  auto plan = MakePlan(o_);
  if (!plan.ok()) {
    out.exit_code = plan.error().code == "usage" ? 2 : 1;
    out.fatal = plan.error().message;
    return out;
  }
  plan_ = std::move(*plan);
  // Clients, plus a few descriptors per loop (epoll, eventfd, timerfd) and
  // headroom for the publisher connection, /proc reads and stdio.
  int64_t needed = o_.clients + 8LL * o_.threads + 64;
  auto limit = RaiseFileLimit(needed);
  if (!limit.ok()) {
    out.exit_code = 2;
    out.fatal = limit.error().message;
    return out;
  }
  if (o_.server_pid > 0 && !SampleProcess(o_.server_pid).ok) {
    out.exit_code = 2;
    out.fatal =
        fmt::format("--server-pid {}: no such process (or /proc is not readable)", o_.server_pid);
    return out;
  }

  shared_.plan = &plan_;
  shared_.options = &o_;
  shared_.published = std::make_unique<std::atomic<int64_t>[]>(static_cast<size_t>(o_.streams));
  for (int k = 0; k < o_.streams; ++k) shared_.published[k].store(0);

  std::string started_at = UtcNow();
  double load_before = LoadAverage1();
  t_start_ = NowNs();
  deadline_ = t_start_ + static_cast<int64_t>(o_.max_time_s * 1e9);
  last_tick_ = t_start_;
  last_proc_cpu_ = ProcessCpuSeconds();
  ProcessSample server_before;
  if (o_.server_pid > 0) {
    server_before = SampleProcess(o_.server_pid);
    last_server_cpu_ = server_before.cpu_s();
  }
  KernelTcp kernel_before = SampleKernelTcp();

  for (int t = 0; t < o_.threads; ++t)
    loops_.push_back(std::make_unique<Loop>(t, o_.threads, shared_));
  for (auto& l : loops_) l->Start();
  last_thread_cpu_.assign(loops_.size(), 0);

  std::vector<std::string> problems, warnings;

  // ---- Connect ----
  double gen_cpu0, srv_cpu0;
  MarkCpu(&gen_cpu0, &srv_cpu0);
  int64_t connect_t0 = NowNs();
  for (auto& l : loops_) l->BeginConnect(connect_t0);
  WaitUntil([&] { return AllLoops(&LoopCounters::connect_done); }, INT64_MAX, "connect");
  int64_t last_ready_ns = 0;
  for (auto& l : loops_) last_ready_ns = std::max(last_ready_ns, l->counters.last_ready_ns.load());
  int64_t connect_end = NowNs();
  int64_t ready = Sum(&LoopCounters::ready);
  double connect_span_s =
      ready > 0 ? Seconds(last_ready_ns - connect_t0) : Seconds(connect_end - connect_t0);
  double gen_cpu1, srv_cpu1;
  MarkCpu(&gen_cpu1, &srv_cpu1);
  Tick("connect", true);

  // ---- Settle, then measure memory of the connected state ----
  int64_t settle_end = NowNs() + static_cast<int64_t>(o_.settle_s * 1e9);
  WaitUntil([] { return false; }, settle_end, "settle");
  ProcessSample server_connected;
  if (o_.server_pid > 0) server_connected = SampleProcess(o_.server_pid);
  KernelTcp kernel_connected = SampleKernelTcp();

  // ---- Message phase ----
  double gen_cpu2 = 0, srv_cpu2 = 0, gen_cpu3 = 0, srv_cpu3 = 0, srv_sys2 = 0, srv_sys3 = 0;
  double pub_thread_cpu = 0;
  int64_t msg_t0 = 0, msg_send_end = 0, msg_end = 0;
  int64_t expected = 0;
  bool drained = true;
  ready = Sum(&LoopCounters::ready) - Sum(&LoopCounters::dropped);
  if (ready == 0 && o_.scenario != Scenario::kConnect) {
    problems.push_back("no client connected; nothing to measure");
  } else if (o_.scenario == Scenario::kBroadcast) {
    // Freeze who is expected to receive what: every client ready now.
    std::vector<Sender> senders(static_cast<size_t>(o_.streams));
    for (auto& l : loops_) {
      Loop* loop = l.get();
      loop->RunSync([&, loop] {
        for (const auto& c : loop->connections()) c->measured = c->ready();
        for (int k = 0; k < o_.streams; ++k) {
          auto& s = senders[static_cast<size_t>(k)];
          if (!s.connection) {
            if (Connection* c = loop->FirstReadyOf(k)) s = {loop, c};
          }
        }
      });
    }
    broadcaster_ = std::make_unique<Broadcaster>(shared_, std::move(senders));
    if (auto st = broadcaster_->Prepare(); !st.ok()) {
      problems.push_back("cannot publish: " + st.error().message);
      broadcaster_.reset();
    } else {
      MarkCpu(&gen_cpu2, &srv_cpu2, &srv_sys2);
      msg_t0 = NowNs() + 1'000'000;
      int64_t end =
          o_.duration_s > 0 ? msg_t0 + static_cast<int64_t>(o_.duration_s * 1e9) : INT64_MAX;
      broadcaster_->Start(msg_t0, end);
      WaitUntil([&] { return broadcaster_->done(); }, INT64_MAX, "publish");
      broadcaster_->Stop();
      pub_thread_cpu = broadcaster_->cpu_s();
      msg_send_end = broadcaster_->finished_ns() ? broadcaster_->finished_ns() : NowNs();
      // Perform commands may still sit in a loop's queue: let them go out
      // before deciding what is expected.
      for (auto& l : loops_) l->RunSync([] {});
      std::vector<int64_t> subscribers(static_cast<size_t>(o_.streams), 0);
      for (auto& l : loops_) {
        Loop* loop = l.get();
        loop->RunSync([&, loop] {
          for (const auto& c : loop->connections()) {
            if (c->measured) subscribers[static_cast<size_t>(c->stream())]++;
          }
        });
      }
      auto compute_expected = [&] {
        int64_t e = 0;
        for (int k = 0; k < o_.streams; ++k) {
          e += subscribers[static_cast<size_t>(k)] * shared_.published[k].load();
        }
        return e;
      };
      expected = compute_expected();
      drained = WaitUntil([&] { return Sum(&LoopCounters::unique) >= expected; },
                          NowNs() + static_cast<int64_t>(o_.wait_s * 1e9), "drain");
      msg_end = NowNs();
      MarkCpu(&gen_cpu3, &srv_cpu3, &srv_sys3);
    }
  } else if (o_.scenario == Scenario::kEcho) {
    for (auto& l : loops_) {
      Loop* loop = l.get();
      loop->RunSync([loop] {
        for (const auto& c : loop->connections()) c->measured = c->ready();
      });
    }
    MarkCpu(&gen_cpu2, &srv_cpu2, &srv_sys2);
    msg_t0 = NowNs() + 1'000'000;
    int64_t end =
        o_.duration_s > 0 ? msg_t0 + static_cast<int64_t>(o_.duration_s * 1e9) : INT64_MAX;
    for (auto& l : loops_) l->BeginEcho(msg_t0, end, o_.count);
    WaitUntil([&] { return AllLoops(&LoopCounters::send_done); },
              end == INT64_MAX ? INT64_MAX : end + 1'000'000'000, "echo");
    msg_send_end = NowNs();
    for (auto& l : loops_) l->RunSync([] {});
    expected = Sum(&LoopCounters::sent);
    drained = WaitUntil([&] { return Sum(&LoopCounters::unique) >= expected; },
                        NowNs() + static_cast<int64_t>(o_.wait_s * 1e9), "drain");
    msg_end = NowNs();
    MarkCpu(&gen_cpu3, &srv_cpu3, &srv_sys3);
  } else {
    MarkCpu(&gen_cpu2, &srv_cpu2, &srv_sys2);
    msg_t0 = NowNs();
    WaitUntil([] { return false; }, msg_t0 + static_cast<int64_t>(o_.hold_s * 1e9), "hold");
    msg_send_end = msg_end = NowNs();
    MarkCpu(&gen_cpu3, &srv_cpu3, &srv_sys3);
  }
  Tick(o_.scenario == Scenario::kConnect ? "hold" : "drain", true);

  ProcessSample server_end;
  if (o_.server_pid > 0) server_end = SampleProcess(o_.server_pid);
  std::vector<double> thread_cpu;
  for (size_t i = 0; i < loops_.size(); ++i) thread_cpu.push_back(ThreadCpu(i));
  for (auto& l : loops_) l->Shutdown();
  double gen_user = 0, gen_sys = 0;
  double gen_cpu_total = ProcessCpuSeconds(&gen_user, &gen_sys);
  int64_t t_end = NowNs();

  // ---- Aggregate ----
  Histogram tcp, welcome, ready_h, latency, ack;
  std::map<std::string, int64_t> failures, drops;
  int64_t missing = 0, extra = 0, out_of_order = 0, measured_clients = 0;
  for (auto& l : loops_) {
    tcp.Merge(l->tcp_hist());
    welcome.Merge(l->welcome_hist());
    ready_h.Merge(l->ready_hist());
    latency.Merge(l->latency_hist());
    ack.Merge(l->ack_hist());
    for (auto& [k, v] : l->FailureReasons()) failures[k] += v;
    for (auto& [k, v] : l->DropReasons()) drops[k] += v;
    for (const auto& c : l->connections()) {
      if (!c->measured) continue;
      ++measured_clients;
      int64_t want = o_.scenario == Scenario::kBroadcast ? shared_.published[c->stream()].load()
                                                         : static_cast<int64_t>(c->sent);
      int64_t got = c->seq().unique();
      if (got < want) missing += want - got;
      if (got > want) extra += got - want;
      out_of_order += c->seq().out_of_order();
    }
  }
  int64_t started = Sum(&LoopCounters::started);
  int64_t ready_total = Sum(&LoopCounters::ready);
  int64_t failed = Sum(&LoopCounters::failed);
  int64_t dropped = Sum(&LoopCounters::dropped);
  int64_t duplicates = Sum(&LoopCounters::duplicates);
  int64_t unique = Sum(&LoopCounters::unique);
  int64_t received = Sum(&LoopCounters::received);
  int64_t not_started = o_.clients - started;
  if (not_started > 0) failures["not_started"] += not_started;

  if (failed + not_started > 0) {
    problems.push_back(
        fmt::format("{} of {} clients failed to connect", failed + not_started, o_.clients));
  }
  if (dropped > 0) problems.push_back(fmt::format("{} clients lost their connection", dropped));
  if (missing > 0) {
    problems.push_back(fmt::format("{} expected messages never arrived{}", missing,
                                   drained ? "" : fmt::format(" (waited {}s)", o_.wait_s)));
  }
  if (duplicates > 0) problems.push_back(fmt::format("{} duplicate deliveries", duplicates));
  if (extra > 0) problems.push_back(fmt::format("{} deliveries nobody published", extra));
  int64_t publish_failed = broadcaster_ ? broadcaster_->failed() : Sum(&LoopCounters::send_failed);
  if (o_.scenario == Scenario::kBroadcast && o_.publish_via == PublishVia::kPerform) {
    publish_failed += Sum(&LoopCounters::send_failed);
  }
  if (publish_failed > 0) {
    std::string why = broadcaster_ ? broadcaster_->last_error() : "";
    problems.push_back(fmt::format("{} messages could not be published{}", publish_failed,
                                   why.empty() ? "" : " (" + why + ")"));
  }
  if (hit_max_time_) problems.push_back(fmt::format("the run hit --max-time ({}s)", o_.max_time_s));
  if (saturated_intervals_ > 0) {
    warnings.push_back(fmt::format(
        "the generator was saturated (a loop thread above {:.0f}% of a core) in {} of {} "
        "intervals; "
        "latencies may include generator delay: add --threads or give it a core of its own",
        kSaturatedPct, saturated_intervals_, timeline_.size()));
  }
  int64_t late_starts = Sum(&LoopCounters::late_starts);
  if (late_starts > 0 && o_.connect_rate > 0) {
    warnings.push_back(
        fmt::format("{} connects started more than 10 ms behind the ramp "
                    "(--connect-rate {} not sustained by the generator or the "
                    "--connect-concurrency cap)",
                    late_starts, o_.connect_rate));
  }
  if (broadcaster_ && broadcaster_->late() > 0 && o_.burst == 0) {
    warnings.push_back(
        fmt::format("{} publications left more than 1 ms late (max lag {:.1f} ms); "
                    "their latency is measured from the scheduled time",
                    broadcaster_->late(), broadcaster_->max_lag_ns() / 1e6));
  }

  // ---- Report ----
  Json r;
  r["schema"] = kReportSchema;
  r["tool"] = {{"name", "cable bench"}, {"version", CABLE_VERSION}};
  r["scenario"] = ScenarioName(o_.scenario);
  r["label"] = o_.label;
  r["started_at"] = started_at;
  r["duration_s"] = std::round(Seconds(t_end - t_start_) * 1000) / 1000;
  out.exit_code = problems.empty() ? 0 : 1;
  r["ok"] = problems.empty();
  r["exit_code"] = out.exit_code;
  r["problems"] = problems;
  r["warnings"] = warnings;

  Json cfg;
  cfg["url"] = o_.url;
  cfg["clients"] = o_.clients;
  cfg["threads"] = o_.threads;
  cfg["subprotocol"] = o_.subprotocol;
  cfg["auth"] = !o_.jwt_secret.empty() ? "jwt" : (!o_.token.empty() ? "token" : "none");
  cfg["subscribe"] = o_.subscribe;
  cfg["stream_type"] = StreamTypeName(o_.stream_type);
  cfg["channel"] = o_.channel;
  cfg["streams"] = o_.streams;
  cfg["connect_rate"] = o_.connect_rate;
  cfg["connect_concurrency"] = o_.connect_concurrency;
  cfg["connect_timeout_s"] = o_.connect_timeout_s;
  cfg["payload_bytes"] = o_.payload_size;
  cfg["publish_via"] = o_.scenario == Scenario::kBroadcast ? PublishViaName(o_.publish_via) : "";
  cfg["publish_batch"] = o_.publish_batch;
  cfg["rate"] = o_.rate;
  cfg["count"] = o_.count;
  cfg["duration_s"] = o_.duration_s;
  cfg["burst"] = o_.burst;
  cfg["bursts"] = o_.bursts;
  cfg["burst_interval_s"] = o_.burst_interval_s;
  cfg["concurrent"] = o_.concurrent;
  cfg["warmup"] = o_.warmup;
  cfg["settle_s"] = o_.settle_s;
  cfg["wait_s"] = o_.wait_s;
  cfg["hold_s"] = o_.hold_s;
  cfg["server_pid"] = o_.server_pid;
  r["config"] = cfg;

  Json env;
  env["host"] = HostName();
  env["kernel"] = KernelRelease();
  env["cpu_model"] = CpuModel();
  env["cpus_online"] = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  env["generator_cpus"] = UsableCpus();
  env["fd_limit"] = *limit;
  env["loadavg_1m_start"] = std::round(load_before * 100) / 100;
  env["loadavg_1m_end"] = std::round(LoadAverage1() * 100) / 100;
  r["environment"] = env;

  Json conn;
  conn["target"] = o_.clients;
  conn["started"] = started;
  conn["ready"] = ready_total;
  conn["failed"] = failed + not_started;
  conn["dropped"] = dropped;
  conn["failures"] = Json::object();
  for (auto& [k, v] : failures) conn["failures"][k] = v;
  conn["drops"] = Json::object();
  for (auto& [k, v] : drops) conn["drops"][k] = v;
  conn["phase_s"] = std::round(connect_span_s * 1000) / 1000;
  conn["rate_per_s"] = connect_span_s > 0 ? std::round(ready_total / connect_span_s) : 0;
  conn["late_starts"] = late_starts;
  int64_t max_lag = 0;
  for (auto& l : loops_) max_lag = std::max(max_lag, l->max_connect_lag_ns());
  conn["max_start_lag_ms"] = std::round(max_lag / 1e3) / 1e3;
  conn["tcp_connect_us"] = PercentilesJson(Summarize(tcp));
  conn["welcome_us"] = PercentilesJson(Summarize(welcome));
  conn["ready_us"] = PercentilesJson(Summarize(ready_h));
  r["connections"] = conn;

  Json msg;
  double send_s = msg_send_end > msg_t0 ? Seconds(msg_send_end - msg_t0) : 0;
  double msg_s = msg_end > msg_t0 ? Seconds(msg_end - msg_t0) : 0;
  int64_t published = o_.scenario == Scenario::kBroadcast ? Published() : Sum(&LoopCounters::sent);
  msg["measured_clients"] = measured_clients;
  msg["published"] = published;
  msg["publish_failed"] = publish_failed;
  msg["publish_requests"] =
      broadcaster_ && o_.publish_via != PublishVia::kPerform ? broadcaster_->requests() : published;
  msg["publish_late"] = broadcaster_ ? broadcaster_->late() : 0;
  msg["publish_max_lag_ms"] = broadcaster_ ? std::round(broadcaster_->max_lag_ns() / 1e3) / 1e3 : 0;
  msg["send_phase_s"] = std::round(send_s * 1000) / 1000;
  msg["phase_s"] = std::round(msg_s * 1000) / 1000;
  msg["expected"] = expected;
  msg["received"] = received;
  msg["unique"] = unique;
  msg["missing"] = missing;
  msg["duplicates"] = duplicates;
  msg["unexpected"] = extra;
  msg["out_of_order"] = out_of_order;
  msg["acks"] = Sum(&LoopCounters::acks);
  msg["drained"] = drained;
  msg["received_per_s"] = msg_s > 0 ? std::round(unique / msg_s) : 0;
  msg["sent_per_s"] = send_s > 0 ? std::round(published / send_s) : 0;
  r["messages"] = msg;

  Histogram& primary = o_.scenario == Scenario::kConnect ? ready_h : latency;
  r["latency_us"] = PercentilesJson(Summarize(primary));
  r["ack_latency_us"] = PercentilesJson(Summarize(ack));
  Json hist;
  hist["latency"] = BucketsJson(primary);
  hist["ack_latency"] = BucketsJson(ack);
  hist["ready"] = BucketsJson(ready_h);
  r["histograms"] = hist;

  Json gen;
  gen["threads"] = o_.threads;
  gen["cpu_s"] = std::round(gen_cpu_total * 1000) / 1000;
  gen["cpu_user_s"] = std::round(gen_user * 1000) / 1000;
  gen["cpu_sys_s"] = std::round(gen_sys * 1000) / 1000;
  gen["thread_cpu_s"] = Json::array();
  for (double c : thread_cpu) gen["thread_cpu_s"].push_back(std::round(c * 1000) / 1000);
  gen["publisher_cpu_s"] = std::round(pub_thread_cpu * 1000) / 1000;
  gen["connect_cpu_s"] = std::round((gen_cpu1 - gen_cpu0) * 1000) / 1000;
  double gen_msg_cpu = gen_cpu3 - gen_cpu2;
  gen["message_cpu_s"] = std::round(gen_msg_cpu * 1000) / 1000;
  gen["cpu_us_per_message"] =
      unique > 0 ? std::round(gen_msg_cpu / static_cast<double>(unique) * 1e6 * 1000) / 1000 : 0;
  gen["max_thread_cpu_pct"] = std::round(max_thread_pct_ * 10) / 10;
  gen["saturated_intervals"] = saturated_intervals_;
  gen["saturated"] = saturated_intervals_ > 0;
  ProcessSample self = SampleProcess(getpid());
  gen["rss_kb"] = self.rss_kb;
  gen["max_rss_kb"] = self.hwm_kb;
  r["generator"] = gen;

  Json srv;
  if (o_.server_pid > 0) {
    srv["pid"] = o_.server_pid;
    srv["before"] = SampleJson(server_before);
    srv["connected"] = SampleJson(server_connected);
    srv["end"] = SampleJson(server_end);
    int64_t conns = std::max<int64_t>(1, ready_total - dropped);
    srv["rss_per_connection_bytes"] =
        ready_total > 0 ? (server_connected.rss_kb - server_before.rss_kb) * 1024 / conns : 0;
    srv["pss_per_connection_bytes"] =
        ready_total > 0 ? (server_connected.pss_kb - server_before.pss_kb) * 1024 / conns : 0;
    srv["connect_cpu_s"] = std::round((srv_cpu1 - srv_cpu0) * 1000) / 1000;
    double srv_msg_cpu = srv_cpu3 - srv_cpu2;
    srv["message_cpu_s"] = std::round(srv_msg_cpu * 1000) / 1000;
    // Kernel share: what the sends themselves cost, the floor for the rest.
    srv["message_sys_cpu_s"] = std::round((srv_sys3 - srv_sys2) * 1000) / 1000;
    srv["cpu_us_per_message"] =
        unique > 0 ? std::round(srv_msg_cpu / static_cast<double>(unique) * 1e6 * 1000) / 1000 : 0;
    srv["max_cpu_pct"] = std::round(max_server_pct_ * 10) / 10;
    srv["max_rss_kb"] = std::max(max_server_rss_kb_, server_end.rss_kb);
  } else {
    srv["pid"] = nullptr;
  }
  srv["kernel_tcp_mem_kb"] = {{"before", kernel_before.mem_kb},
                              {"connected", kernel_connected.mem_kb}};
  srv["kernel_tcp_sockets"] = {{"before", kernel_before.inuse},
                               {"connected", kernel_connected.inuse}};
  r["server"] = srv;

  Json tl = Json::array();
  for (const auto& p : timeline_) tl.push_back(TimelineJson(p));
  r["timeline"] = tl;

  progress_.Finish();
  out.report = std::move(r);
  return out;
}

}  // namespace

RunOutcome RunBenchmark(const BenchOptions& options) {
  return Run(options).Execute();
}

}  // namespace cable::bench
