#include "conformance/scenario_run.h"

#include <condition_variable>
#include <memory>
#include <thread>

#include "common/auth/message_verifier.h"
#include "common/http/url.h"
#include "conformance/client_runner.h"

namespace cable::conformance {
namespace {

// A scenario is a handful of bounded waits; this only guards against a
// scenario whose loops multiply those waits beyond reason.
constexpr auto kScenarioLimit = std::chrono::minutes(5);

// Renders `vars:` before any client starts; only built-ins are visible.
class VarContext : public RenderContext {
 public:
  explicit VarContext(const ScenarioRun& run) : run_(run) {}
  std::optional<Json> Variable(std::string_view name) const override { return run_.Variable(name); }
  Result<std::string> Sign(std::string_view stream, SignKey key) const override {
    const auto& s = run_.settings();
    const std::string& secret = key == SignKey::kTurbo ? s.turbo_secret : s.streams_secret;
    if (secret.empty()) return Error{"no_secret", "no streams secret (pass --secret)"};
    return auth::SignStream(stream, secret);
  }

 private:
  const ScenarioRun& run_;
};

}  // namespace

ScenarioRun::ScenarioRun(const Scenario& scenario, Target& target, const RunSettings& settings,
                         std::string run_id)
    : scenario_(scenario),
      target_(target),
      settings_(settings),
      run_id_(std::move(run_id)),
      barrier_(scenario.total_clients()) {}

Millis ScenarioRun::Scaled(Millis d) const {
  return Millis(static_cast<int64_t>(static_cast<double>(d.count()) * settings_.timeout_scale));
}

std::optional<Json> ScenarioRun::Variable(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = vars_.find(std::string(name));
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

void ScenarioRun::Bind(const std::map<std::string, Json>& values) {
  std::lock_guard lock(mu_);
  for (const auto& [k, v] : values) vars_[k] = v;
}

void ScenarioRun::Fail(StepFailure failure) {
  std::lock_guard lock(mu_);
  failures_.push_back(std::move(failure));
  abort_ = true;
}

ScenarioResult ScenarioRun::Run() {
  started_ = Clock::now();
  ScenarioResult result;
  result.scenario = &scenario_;
  Endpoint ep = target_.endpoint();
  {
    std::lock_guard lock(mu_);
    vars_["run"] = run_id_;
    vars_["target_host"] = ep.host;
    vars_["target_port"] = ep.port;
    vars_["target_path"] = ep.path;
    // "/api" for http://h:8080/api/; "" for an API at the root.
    std::string api_path = "/api";
    if (auto url = http::ParseUrl(target_.api().url); url.ok()) api_path = url->target;
    while (!api_path.empty() && api_path.back() == '/') api_path.pop_back();
    vars_["api_path"] = api_path;
  }
  VarContext ctx(*this);
  for (const auto& [name, value] : scenario_.vars) {
    auto v = value.Render(ctx);
    if (!v.ok()) {
      StepFailure f;
      f.pos = scenario_.pos;
      f.step = "vars";
      f.message = name + ": " + v.error().message;
      failures_.push_back(f);
      break;
    }
    Bind({{name, *v}});
  }

  std::vector<std::unique_ptr<ClientRunner>> clients;
  if (failures_.empty()) {
    for (const auto& spec : scenario_.clients) {
      for (int i = 0; i < spec.count; ++i) {
        std::string name = spec.count == 1 ? spec.name : spec.name + "#" + std::to_string(i + 1);
        clients.push_back(std::make_unique<ClientRunner>(*this, spec, i, name));
      }
    }
    std::mutex done_mu;
    std::condition_variable done_cv;
    size_t done = 0;
    std::vector<std::thread> threads;
    threads.reserve(clients.size());
    for (auto& c : clients) {
      threads.emplace_back([&, client = c.get()] {
        client->Run();
        std::lock_guard lock(done_mu);
        ++done;
        done_cv.notify_all();
      });
    }
    {
      std::unique_lock lock(done_mu);
      auto limit = started_ + Scaled(std::chrono::duration_cast<Millis>(kScenarioLimit));
      if (!done_cv.wait_until(lock, limit, [&] { return done == clients.size(); })) {
        StepFailure f;
        f.pos = scenario_.pos;
        f.message = "scenario still running after its time limit; stopped";
        lock.unlock();
        Fail(f);
      }
    }
    for (auto& t : threads) t.join();
  }
  // Every connection stays open until all clients are done, as AnyT does,
  // so no client's departure races another client's expectations.
  auto close_deadline = Clock::now() + std::chrono::milliseconds(500);
  for (auto& c : clients) c->connection().CloseGracefully(1000, close_deadline);

  result.duration_s = std::chrono::duration<double>(Clock::now() - started_).count();
  std::lock_guard lock(mu_);
  result.failures = failures_;
  result.outcome = failures_.empty() ? Outcome::kPassed : Outcome::kFailed;
  return result;
}

}  // namespace cable::conformance
