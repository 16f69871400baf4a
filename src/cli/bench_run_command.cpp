// `cable bench run FILE.yml`: scripted load scenarios — groups of clients
// walking steps of the conformance language, with per-step latency, loss and
// thresholds (docs/bench.md, "Scripted scenarios").

#include "cli/bench_run_command.h"

#include <fmt/format.h>

#include <iostream>

#include "bench/options.h"
#include "bench/script/loader.h"
#include "bench/script/runner.h"
#include "bench/threshold.h"
#include "cli/bench_report_flags.h"
#include "common/yaml/reader.h"

namespace cable::cli {

namespace {

struct RunFlags {
  bench::script::ScriptOptions s;
  std::string file;
  int scale = 1;
  std::string connect_timeout = "10s";
  std::vector<std::string> thresholds;
  ReportFlags report;
};

// Threshold paths into `steps` must name a step of this script.
void CheckStepNames(const bench::script::Script& script, const bench::Threshold& t) {
  if (t.path.rfind("steps.", 0) != 0) return;
  const std::string name = t.path.substr(6, t.path.find('.', 6) - 6);
  std::vector<std::string> names;
  for (const auto& m : script.metrics) {
    if (m.name == name) return;
    names.push_back(m.name);
  }
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  throw UsageError("--threshold '" + t.expression + "': " + script.file + " has no step named '" +
                   name + "'" + yaml::DidYouMean(name, names) +
                   (known.empty() ? " (it names no steps)" : " (named steps: " + known + ")"));
}

}  // namespace

Runner AddBenchRunCommand(CLI::App& bench) {
  auto* sub = bench.add_subcommand(
      "run",
      "Run a scripted scenario: client groups walking steps (connect, subscribe, perform, "
      "whisper, broadcast, receive, loops), with latency and loss per named step");
  auto c = std::make_shared<RunFlags>();
  auto& o = c->s.bench;
  o.url = "ws://127.0.0.1:8080/cable";
  o.publisher.http_url.clear();
  o.publisher.api_url.clear();
  sub->footer(
      "Exit codes: 0 clean run; 1 failed connects, dropped clients, missing or duplicate "
      "receipts, failed sends or steps, or a violated --threshold; 2 a mistake in FILE (reported "
      "as file:line:column) or in the flags, before anything connects.\n"
      "Examples:\n"
      "  cable serve --backend demo &\n"
      "  cable bench run scenarios/bench/chat.yml --scale 10\n"
      "  cable bench run scenarios/bench/chat.yml --threshold 'steps.speak.latency.p99<50ms'\n"
      "  cable serve --backend demo --turbo_streams --streams_secret s --public_streams &\n"
      "  cable bench run scenarios/bench/turbo.yml --streams-secret s --json\n"
      "See docs/bench.md (Scripted scenarios) for the step reference.");
  sub->add_option("FILE", c->file, "Scenario file (YAML)")->required()->check(CLI::ExistingFile);
  sub->add_option("--scale", c->scale, "Multiply every group's count by N")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));

  const std::string kTarget = "Target";
  sub->add_option("-u,--url,--target-url", o.url, "WebSocket URL of the server")
      ->capture_default_str()
      ->group(kTarget);
  sub->add_option("--subprotocol", o.subprotocol,
                  "Default subprotocol (a connect step's subprotocols override it)")
      ->capture_default_str()
      ->group(kTarget);
  sub->add_option("--origin", o.origin, "Origin header (empty: none)")
      ->capture_default_str()
      ->group(kTarget);
  sub->add_option("-H,--header", o.headers, "Extra request header 'Name: value' (repeatable)")
      ->group(kTarget);
  sub->add_option("--tls-ca", o.tls_ca_file, "wss://: trust this CA certificate (PEM)")
      ->check(CLI::ExistingFile)
      ->group(kTarget);
  sub->add_flag("--insecure", o.tls_insecure, "wss://: do not verify the server's certificate")
      ->group(kTarget);
  sub->add_option("-t,--threads", o.threads, "Event-loop threads (0: one per usable CPU)")
      ->capture_default_str()
      ->group(kTarget);
  sub->add_option("--connect-timeout", c->connect_timeout,
                  "Time a connect step allows for the welcome (unless it sets timeout)")
      ->capture_default_str()
      ->group(kTarget);

  const std::string kSecrets = "Secrets";
  sub->add_option("--jwt-secret", o.jwt_secret, "Signs connect steps' `token: {identifiers}`")
      ->group(kSecrets);
  sub->add_option("--streams-secret", o.streams_secret, "Signs !signed stream names")
      ->group(kSecrets);
  sub->add_option("--turbo-streams-secret", c->s.turbo_secret,
                  "Signs !signed_turbo stream names (default: --streams-secret)")
      ->group(kSecrets);

  const std::string kPub = "Broadcast steps";
  sub->add_option("--broadcast-adapter", o.publisher.adapter, "http, api, redis, redisx or nats")
      ->check(CLI::IsMember({"http", "api", "redis", "redisx", "nats"}))
      ->capture_default_str()
      ->group(kPub);
  sub->add_option("--broadcast-url", o.publisher.http_url,
                  "HTTP broadcast endpoint (default http://<host>:8090/_broadcast)")
      ->group(kPub);
  sub->add_option("--broadcast-key", o.publisher.broadcast_key, "Bearer key for HTTP broadcasts")
      ->group(kPub);
  sub->add_option("--api-url", o.publisher.api_url, "REST API base URL (default: the target's)")
      ->group(kPub);
  sub->add_option("--api-key", o.publisher.api_key, "Bearer key for the REST API")->group(kPub);
  sub->add_option("--redis-url", o.publisher.redis_url, "Redis URL")
      ->capture_default_str()
      ->group(kPub);
  sub->add_option("--nats-url", o.publisher.nats_servers, "NATS servers")
      ->capture_default_str()
      ->group(kPub);

  AddReportFlags(sub, c->s.bench, c->report);
  sub->add_option("--threshold", c->thresholds,
                  "Pass/fail criterion METRIC OP VALUE (repeatable), e.g. "
                  "'steps.speak.latency.p99<50ms', steps.speak.missing==0, missing==0")
      ->group("Thresholds");

  return [sub, c]() -> int {
    if (!sub->parsed()) return -1;
    auto& o = c->s.bench;
    // Everything the file says is checked before anything connects.
    auto script = bench::script::LoadScript(c->file, c->scale);
    if (!script.ok()) throw UsageError(script.error().message);
    std::vector<bench::Threshold> thresholds;
    for (const auto& text : c->thresholds) {
      auto t = bench::ParseThreshold(text);
      if (!t.ok()) throw UsageError(t.error().message);
      CheckStepNames(*script, *t);
      thresholds.push_back(*t);
    }
    o.scenario = bench::Scenario::kConnect;
    o.subscribe = false;
    o.clients = static_cast<int>(script->total_clients());
    Duration("--connect-timeout", c->connect_timeout, &o.connect_timeout_s, /*zero_ok=*/false);
    ApplyReportFlags(c->report, o);
    if (auto s = bench::Validate(o); !s.ok()) throw UsageError(s.error().message);

    bench::RunOutcome outcome = bench::script::RunScript(*script, c->s);
    if (!outcome.fatal.empty()) {
      std::cerr << "cable bench run: error: " << outcome.fatal << "\n";
      return outcome.exit_code;
    }
    return DeliverReport(outcome, thresholds, c->s.bench, c->report, "cable bench run");
  };
}

}  // namespace cable::cli
