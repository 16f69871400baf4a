#include "conformance/runner.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "conformance/scenario_run.h"

namespace cable::conformance {
namespace {

using Clock = std::chrono::steady_clock;

// A rough cost used only to start long scenarios first, so parallel jobs
// finish together: waits that cannot end early, restarts, and pings.
double Estimate(const Scenario& s) {
  double total = 0;
  std::function<void(const Steps&, double)> walk = [&](const Steps& steps, double times) {
    for (const auto& step : steps) {
      if (auto* n = std::get_if<ExpectNothingStep>(&step.action))
        total += times * (n->duration ? n->duration->count() / 1000.0 : 0.5);
      else if (auto* sl = std::get_if<SleepStep>(&step.action))
        total += times * sl->duration.count() / 1000.0;
      else if (std::holds_alternative<RestartStep>(step.action))
        total += times * 2;
      else if (auto* l = std::get_if<LoopStep>(&step.action))
        walk(l->steps, times * l->count);
    }
  };
  for (const auto& c : s.clients) {
    walk(c.steps, 1);
    bool waits_for_pings = true;
    for (const auto& rule : c.ignore) waits_for_pings = waits_for_pings && rule.type != "ping";
    if (waits_for_pings) total += 4;
  }
  return total;
}

std::string RunId() {
  static std::atomic<int> counter{0};
  static const unsigned seed = std::random_device{}();
  char buf[32];
  snprintf(buf, sizeof buf, "%x%04x%d", static_cast<unsigned>(getpid()) & 0xffff, seed & 0xffff,
           ++counter);
  return buf;
}

class Scheduler {
 public:
  Scheduler(std::vector<const Scenario*> order, bool shared)
      : pending_(std::move(order)), shared_(shared) {}

  // The next scenario this worker may start now, waiting if one is pending
  // but blocked; nullptr when none is left.
  const Scenario* Next() {
    std::unique_lock lock(mu_);
    while (true) {
      if (pending_.empty()) return nullptr;
      for (auto it = pending_.begin(); it != pending_.end(); ++it) {
        if (!CanStart(**it)) {
          // An exclusive scenario waits for the server to be idle; starting
          // others meanwhile would starve it.
          if ((*it)->exclusive) break;
          continue;
        }
        const Scenario* s = *it;
        pending_.erase(it);
        Acquire(*s);
        return s;
      }
      cv_.wait(lock);
    }
  }

  void Done(const Scenario& s) {
    std::lock_guard lock(mu_);
    --running_;
    if (s.exclusive) exclusive_running_ = false;
    for (const auto& r : s.resources) held_.erase(held_.find(r));
    cv_.notify_all();
  }

 private:
  bool CanStart(const Scenario& s) const {
    if (!shared_) return true;
    if (exclusive_running_) return false;
    if (s.exclusive) return running_ == 0;
    for (const auto& r : s.resources)
      if (held_.count(r)) return false;
    return true;
  }
  void Acquire(const Scenario& s) {
    ++running_;
    if (s.exclusive) exclusive_running_ = true;
    for (const auto& r : s.resources) held_.insert(r);
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<const Scenario*> pending_;
  bool shared_;
  int running_ = 0;
  bool exclusive_running_ = false;
  std::multiset<std::string> held_;
};

bool CommandUses(const InstanceOptions& o, const char* placeholder) {
  for (const auto& w : o.command)
    if (w.find(placeholder) != std::string::npos) return true;
  return false;
}

}  // namespace

Capabilities CapabilitiesOf(const RunnerOptions& options) {
  Capabilities caps;
  caps.features = options.features;
  caps.unclaimed_reasons = options.unclaimed_reasons;
  caps.can_restart = !options.instance.command.empty();
  caps.has_jwt_secret = !options.settings.jwt_secret.empty();
  caps.has_streams_secret = !options.settings.streams_secret.empty();
  return caps;
}

RunReport RunScenarios(const std::vector<const Scenario*>& selected, const RunnerOptions& options,
                       const ProgressFn& progress) {
  const auto started = Clock::now();
  RunReport report;
  const Capabilities caps = CapabilitiesOf(options);

  std::map<const Scenario*, ScenarioResult> results;
  std::vector<const Scenario*> runnable;
  for (const Scenario* s : selected) {
    std::string why = SkipReason(*s, caps);
    if (why.empty()) {
      runnable.push_back(s);
      continue;
    }
    ScenarioResult r;
    r.scenario = s;
    r.outcome = Outcome::kSkipped;
    r.skip_reason = why;
    results[s] = r;
    if (progress) progress(r);
  }

  if (!runnable.empty()) {
    InstanceOptions io = options.instance;
    for (const Scenario* s : runnable)
      for (const auto& b : s->backends)
        if (std::find(io.backends.begin(), io.backends.end(), b) == io.backends.end())
          io.backends.push_back(b);
    // The backend is needed only by scenarios that name definitions.
    io.start_rpc = io.start_rpc && !io.backends.empty();

    // Separate servers need separate ports for everything they listen on.
    const bool per_job =
        CommandUses(io, "{port}") &&
        (!io.start_rpc || (io.rpc_listen.empty() &&
                           (CommandUses(io, "{rpc_host}") || CommandUses(io, "{rpc_port}"))));
    const int jobs = std::max(1, std::min<int>(options.jobs, static_cast<int>(runnable.size())));
    const int instances = per_job ? jobs : 1;

    std::vector<std::unique_ptr<Instance>> targets;
    for (int i = 0; i < instances; ++i) targets.push_back(std::make_unique<Instance>(io, i));
    std::vector<Status> started_ok(instances);
    {
      std::vector<std::thread> starters;
      for (int i = 0; i < instances; ++i)
        starters.emplace_back([&, i] { started_ok[i] = targets[i]->Start(); });
      for (auto& t : starters) t.join();
    }
    std::string start_error;
    for (const auto& st : started_ok)
      if (!st.ok() && start_error.empty()) start_error = st.error().message;
    report.target = targets[0]->Describe();
    if (instances > 1) report.target += ", one per job (" + std::to_string(instances) + ")";

    if (!start_error.empty()) {
      report.error = start_error;
      for (const Scenario* s : runnable) {
        ScenarioResult r;
        r.scenario = s;
        r.outcome = Outcome::kFailed;
        StepFailure f;
        f.pos = s->pos;
        f.message = "the target could not be started (see above)";
        r.failures.push_back(f);
        results[s] = r;
        if (progress) progress(r);
      }
    } else {
      std::stable_sort(runnable.begin(), runnable.end(), [](const Scenario* a, const Scenario* b) {
        return Estimate(*a) > Estimate(*b);
      });
      Scheduler scheduler(runnable, !per_job);
      std::mutex results_mu;
      std::vector<std::thread> workers;
      for (int w = 0; w < jobs; ++w) {
        workers.emplace_back([&, w] {
          Instance& target = *targets[per_job ? w : 0];
          while (const Scenario* s = scheduler.Next()) {
            ScenarioRun run(*s, target, options.settings, RunId());
            ScenarioResult r = run.Run();
            r.note = target.EnsureAlive();
            if (!r.note.empty() && r.outcome == Outcome::kPassed) {
              r.outcome = Outcome::kFailed;
              StepFailure f;
              f.pos = s->pos;
              f.message = r.note;
              r.failures.push_back(f);
            }
            scheduler.Done(*s);
            std::lock_guard lock(results_mu);
            results[s] = r;
            if (progress) progress(r);
          }
        });
      }
      for (auto& t : workers) t.join();
    }
    for (auto& t : targets) t->Stop();
  }

  for (const Scenario* s : selected) report.results.push_back(results[s]);
  report.duration_s = std::chrono::duration<double>(Clock::now() - started).count();
  return report;
}

}  // namespace cable::conformance
