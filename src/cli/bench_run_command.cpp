// `cable bench run FILE.yml`: scripted load scenarios — groups of clients
// walking steps of the conformance language, with per-step latency, loss and
// thresholds (docs/bench.md, "Scripted scenarios").

#include "cli/bench_run_command.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <optional>

#include "bench/options.h"
#include "bench/report.h"
#include "bench/script/loader.h"
#include "bench/script/runner.h"
#include "bench/threshold.h"
#include "common/yaml/reader.h"

namespace cable::cli {

namespace {

std::optional<double> ParseSeconds(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t used = 0;
  double v;
  try {
    v = std::stod(text, &used);
  } catch (...) {
    return std::nullopt;
  }
  const std::string unit = text.substr(used);
  if (unit.empty() || unit == "s") return v;
  if (unit == "ms") return v / 1000;
  if (unit == "m") return v * 60;
  return std::nullopt;
}

void Duration(const std::string& flag, const std::string& text, double* out) {
  auto v = ParseSeconds(text);
  if (!v || *v <= 0) throw UsageError(flag + ": '" + text + "' is not a duration (e.g. 10s, 2m)");
  *out = *v;
}

struct RunFlags {
  bench::script::ScriptOptions s;
  std::string file;
  int scale = 1;
  std::string connect_timeout = "10s", interval = "1s", max_time = "15m";
  std::vector<std::string> thresholds;
  std::string format = "text";
  std::string junit_file;
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

int Write(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  if (!f) {
    std::cerr << "cable bench run: error: cannot write " << path << "\n";
    return kExitFailure;
  }
  return kExitOk;
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

  const std::string kOut = "Output";
  sub->add_option("--server-pid", o.server_pid,
                  "Server process to sample (CPU, RSS, PSS from /proc)")
      ->group(kOut);
  sub->add_flag("--json", o.json, "Print the JSON report on stdout instead of the table")
      ->group(kOut);
  sub->add_option("-o,--json-file", o.json_file, "Also write the JSON report to this file")
      ->group(kOut);
  sub->add_option("--report", o.report_html, "Write a self-contained HTML report")->group(kOut);
  sub->add_option("--label", o.label, "Free text stored in the reports")->group(kOut);
  sub->add_flag("-q,--quiet", o.quiet, "No progress line")->group(kOut);
  sub->add_option("--interval", c->interval, "Progress and timeline interval")
      ->capture_default_str()
      ->group(kOut);
  sub->add_option("--max-time", c->max_time, "Hard bound on the whole run")
      ->capture_default_str()
      ->group(kOut);
  sub->add_option("--format", c->format, "Report on stdout: text, json or junit (thresholds)")
      ->check(CLI::IsMember({"text", "json", "junit"}))
      ->capture_default_str()
      ->group(kOut);
  sub->add_option("--junit", c->junit_file, "Also write the thresholds as JUnit XML to this file")
      ->group(kOut);
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
    if (c->format == "json") o.json = true;
    o.scenario = bench::Scenario::kConnect;
    o.subscribe = false;
    o.clients = static_cast<int>(script->total_clients());
    Duration("--connect-timeout", c->connect_timeout, &o.connect_timeout_s);
    Duration("--interval", c->interval, &o.interval_s);
    Duration("--max-time", c->max_time, &o.max_time_s);
    if (auto s = bench::Validate(o); !s.ok()) throw UsageError(s.error().message);

    bench::RunOutcome outcome = bench::script::RunScript(*script, c->s);
    if (!outcome.fatal.empty()) {
      std::cerr << "cable bench run: error: " << outcome.fatal << "\n";
      return outcome.exit_code;
    }
    auto& report = outcome.report;
    bench::RecordThresholds(bench::EvaluateThresholds(thresholds, report), report);
    if (report["exit_code"] != 0 && outcome.exit_code == 0) outcome.exit_code = kExitFailure;
    if (o.json) {
      std::cout << report.dump(2) << "\n";
    } else if (c->format == "junit") {
      std::cout << bench::ThresholdsJunit(report);
    } else {
      std::cout << bench::FormatTable(report);
    }
    std::cout.flush();
    if (!o.json_file.empty() && Write(o.json_file, report.dump(2) + "\n") != kExitOk)
      return kExitFailure;
    if (!c->junit_file.empty() && Write(c->junit_file, bench::ThresholdsJunit(report)) != kExitOk)
      return kExitFailure;
    if (!o.report_html.empty()) {
      if (auto s = bench::WriteHtmlReport(report, o.report_html); !s.ok()) {
        std::cerr << "cable bench run: error: " << s.error().message << "\n";
        return kExitFailure;
      }
    }
    return outcome.exit_code;
  };
}

}  // namespace cable::cli
