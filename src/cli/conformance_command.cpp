// `cable conformance`: runs YAML conformance scenarios (docs/conformance.md)
// against an Action Cable / AnyCable server, AnyT-style, and reports.

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>

#include "cli/command.h"
#include "cli/redis_flags.h"
#include "common/auth/secrets.h"
#include "common/broadcast/api_publisher.h"
#include "common/builtin_suite.h"
#include "conformance/features.h"
#include "conformance/loader.h"
#include "conformance/process.h"
#include "conformance/profiles.h"
#include "conformance/report.h"
#include "conformance/runner.h"
#include "conformance/selection.h"

namespace cable::cli {
namespace {

namespace cf = cable::conformance;

constexpr const char* kFooter = R"(Scenarios:
  Without PATHS the built-in suite runs (scenarios/conformance of the source
  tree, compiled in; its files are named builtin:anyt/core_ping.yml and so
  on). PATHS (files or directories) replace it; --with-builtin runs both.
  builtin:anyt or builtin:anycable/jwt.yml as a path picks part of the
  built-in suite. --list prints what will run and what the profile skips.
  Every file is checked before anything starts; a mistake is reported as
  file:line:column and the run exits with 2.

Profiles (--profile) say what kind of target this is:
  actioncable  Rails Action Cable: channels in Ruby (no cable rpc is started),
               broadcasts through its Redis subscription adapter
               (--broadcast-adapter actioncable-redis, --channel-prefix);
               AnyCable's own behaviours are skipped with the reason.
  anycable-go  anycable-go started with --broker memory --public_streams
               --turbo_streams and a secret.
  cable        cable serve started the same way.
  --features changes a profile's list: --features +jwt_enforced,-slow_clients.

The target:
  Without --command the runner tests whatever listens at --target-url.
  With --command it starts that program (split on whitespace, no shell),
  waits until its port accepts connections, restarts it when a scenario
  asks, and stops it at the end (also on Ctrl-C). Placeholders in the
  command and the URLs: {port} {broadcast_port} {api_port} {rpc_host}
  {rpc_port} {secret}. When the command uses {port} (and {rpc_host}), every
  job gets its own server on free ports.

  `http` steps and the api adapter reach the target's REST API at --api-url
  (default: the target's own port, path /api), with --api-key (default:
  derived from --secret with "api-cable"; none: no key).

  A wss:// target is a TLS server: connections, and HTTP broadcasts (then
  https://, on every port of the server), verify its certificate against
  the system trust store, or --tls-ca FILE; --insecure skips the check.

  Scenarios that name backend definitions get a `cable rpc` backend serving
  them (unless --no-rpc), at {rpc_host}: a free port when the command uses
  the placeholder, else --rpc-listen or 127.0.0.1:50051. With --rpc-http it
  serves HTTP RPC there instead of gRPC: give the server
  --rpc_host http://{rpc_host}/_anycable.

Features (--features, default all): )";

constexpr const char* kFooterEnd = R"(
  Groups: all, anyt. `+name` adds one, `-name` removes one; without
  --profile a list of changes only applies to all (--features -jwt_enforced).
  Scenarios that need a feature the target does not claim are skipped.

Examples:
  cable conformance --target-url ws://localhost:3000/cable --profile actioncable --redis-url redis://localhost:6379/1 --channel-prefix myapp_test
  cable conformance --command "cable serve --port {port} --rpc_host {rpc_host} --secret {secret} --headers cookie,x-api-token --broker memory --public_streams --turbo_streams" --profile cable --secret s3cr3t
  cable conformance --command "cable serve --port {port} --rpc_host {rpc_host} --headers cookie,x-api-token --secret s3cr3t" --secret s3cr3t --jobs 2
  cable conformance --target-url ws://localhost:8080/cable --features anyt --only streams
  cable conformance --command "cable serve --port {port} --ssl_cert cert.pem --ssl_key key.pem" --target-url wss://127.0.0.1:{port}/cable --tls-ca cert.pem
  cable conformance --format junit --output conformance.xml ...

Exit status: 0 no failures, 1 a scenario failed, 2 usage or scenario error.)";

struct Options {
  std::vector<std::string> paths;
  std::string target_url;
  std::string command;
  std::vector<std::string> only, except;
  std::string filter;
  std::string profile;
  std::string features;  // default: all, or nothing on top of --profile
  bool with_builtin = false;
  double timeout_scale = 1.0;
  int jobs = 0;
  std::string broadcast_url;
  std::string broadcast_adapter;  // default: the profile's, else http
  std::string channel_prefix;
  std::string broadcast_key;
  std::string api_url;
  std::string api_key;
  std::string redis_url = "redis://localhost:6379";
  std::string redis_channel = "__anycable__";
  std::string nats_url = "nats://127.0.0.1:4222";
  std::string nats_channel = "__anycable__";
  std::string secret, jwt_secret, streams_secret, turbo_secret;
  std::string rpc_listen;
  std::string tls_ca;
  bool insecure = false;
  bool no_rpc = false;
  bool rpc_http = false;
  std::string format = "text";
  std::string output;
  bool list = false;
  bool verbose = false;
  bool debug = false;
  double start_timeout = 10;
  RedisFlags redis;
};

std::vector<std::string> SplitWords(const std::string& s) {
  std::vector<std::string> out;
  std::string word;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n') {
      if (!word.empty()) out.push_back(std::move(word));
      word.clear();
    } else {
      word.push_back(c);
    }
  }
  if (!word.empty()) out.push_back(word);
  return out;
}

std::string SelfExe() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "cable";
  return std::string(buf, static_cast<size_t>(n));
}

std::string FeatureHelp() {
  size_t width = 0;
  for (const auto& f : cf::KnownFeatures()) width = std::max(width, f.name.size() + 2);
  std::string out;
  for (const auto& f : cf::KnownFeatures())
    out += "\n  " + std::string(f.name) + std::string(width - f.name.size(), ' ') +
           std::string(f.summary);
  return out;
}

std::string MakeLogDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/cable-conformance-XXXXXX";
  if (!mkdtemp(tmpl.data())) return {};
  return tmpl;
}

// Where the runner starts servers and sends broadcasts, with which secrets.
cf::RunnerOptions MakeRunnerOptions(const Options& o, const cf::FeatureClaims& claims,
                                    bool start_rpc) {
  cf::RunnerOptions ro;
  ro.features.insert(claims.claimed.begin(), claims.claimed.end());
  ro.unclaimed_reasons = claims.reasons;
  unsigned cores = std::thread::hardware_concurrency();
  ro.jobs = o.jobs > 0 ? o.jobs : static_cast<int>(cores ? cores : 1);
  ro.settings.timeout_scale = o.timeout_scale;
  auth::SecretSettings secrets;
  secrets.secret = o.secret;
  secrets.jwt_secret = o.jwt_secret;
  secrets.streams_secret = o.streams_secret;
  secrets.turbo_streams_secret = o.turbo_secret;
  secrets.broadcast_key = o.broadcast_key;
  ro.settings.jwt_secret = auth::ResolveJwtSecret(secrets);
  ro.settings.streams_secret = auth::ResolveStreamsSecret(secrets);
  ro.settings.turbo_secret = auth::ResolveTurboStreamsSecret(secrets);
  ro.settings.default_adapter = o.broadcast_adapter;

  auto& io = ro.instance;
  io.command = SplitWords(o.command);
  bool per_port = o.command.find("{port}") != std::string::npos;
  io.target_url = !o.target_url.empty() ? o.target_url
                  : per_port            ? "ws://127.0.0.1:{port}/cable"
                                        : "ws://127.0.0.1:8080/cable";
  io.broadcast_url = o.broadcast_url;
  io.api_url = o.api_url;
  io.api_key = broadcast::ResolveApiKey(o.api_key, o.secret);
  if (io.api_key == "none") io.api_key.clear();
  io.default_adapter = o.broadcast_adapter;
  io.publishing.broadcast_key = auth::ResolveBroadcastKey(secrets);
  io.publishing.redis_url = o.redis_url;
  io.publishing.redis_channel = o.redis_channel;
  io.publishing.redisx_stream = o.redis_channel;
  io.publishing.actioncable_channel_prefix = o.channel_prefix;
  ApplyRedisFlags(o.redis, io.publishing);
  io.publishing.nats_servers = o.nats_url;
  io.publishing.nats_channel = o.nats_channel;
  io.start_rpc = start_rpc;
  io.rpc_listen = o.rpc_listen;
  io.rpc_http = o.rpc_http;
  io.self_exe = SelfExe();
  io.secret = o.secret;
  io.tls_ca_file = o.tls_ca;
  io.tls_insecure = o.insecure;
  io.timeout_scale = o.timeout_scale;
  io.start_timeout = std::chrono::milliseconds(static_cast<int64_t>(o.start_timeout * 1000));
  if (!o.debug) io.log_dir = MakeLogDir();

  return ro;
}

// The report in the chosen format: on stdout, or in --output with the text
// report on stdout; the summary line always ends the terminal output.
void WriteReports(const Options& o, const cf::RunReport& report) {
  const std::string summary = cf::SummaryLine(report);
  const bool color = isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR");
  if (o.format == "text") {
    std::cout << cf::TextReport(report, color && o.output.empty());
    if (!o.output.empty()) {
      std::ofstream(o.output) << cf::TextReport(report, false) << summary << "\n";
    }
    std::cout << summary << std::endl;
  } else {
    std::string machine = o.format == "junit" ? cf::JunitReport(report) : cf::JsonReport(report);
    if (o.output.empty()) {
      std::cout << machine << std::flush;
      std::cerr << summary << std::endl;
    } else {
      std::ofstream out(o.output);
      out << machine;
      if (!out) throw UsageError("cannot write " + o.output);
      std::cout << cf::TextReport(report, color) << summary << std::endl;
    }
  }
}

int Run(const Options& o) {
  // Before any thread exists, so all of them inherit the blocked signals
  // and only the watcher takes them.
  cf::InstallSignalWatcher();
  // Writes to sockets a server closed must fail, not kill the runner.
  signal(SIGPIPE, SIG_IGN);

  const cf::Profile* profile = nullptr;
  if (!o.profile.empty()) {
    profile = cf::FindProfile(o.profile);
    if (!profile)
      throw UsageError("--profile: unknown profile \"" + o.profile + "\"; expected " +
                       cf::ProfileNames());
  }
  Options effective = o;
  if (effective.broadcast_adapter.empty())
    effective.broadcast_adapter = profile ? std::string(profile->default_adapter) : "http";
  const bool start_rpc = !o.no_rpc && (!profile || profile->start_rpc);
  auto claims = cf::ResolveClaims(profile, profile || !o.features.empty() ? o.features : "all",
                                  effective.broadcast_adapter);
  if (!claims.ok()) throw UsageError("--features: " + claims.error().message);
  if (o.format != "text" && o.format != "junit" && o.format != "json")
    throw UsageError("--format: expected text, junit or json");

  // Paths replace the built-in suite; --with-builtin keeps it as well.
  std::vector<std::string> paths = o.paths;
  if (paths.empty() || o.with_builtin) paths.push_back(std::string(builtin_suite::kPrefix));

  cf::LoadedSuite suite = cf::LoadSuite(paths);
  if (!suite.errors.empty()) {
    for (const auto& e : suite.errors) std::cerr << e << "\n";
    std::cerr << "cable conformance: " << suite.errors.size()
              << (suite.errors.size() == 1 ? " scenario file has" : " scenario files have")
              << " errors; nothing was run\n";
    return kExitUsage;
  }
  cf::SelectionOptions sel{o.only, o.except, o.filter};
  auto selected = cf::Select(suite.scenarios, sel);
  if (!selected.ok()) throw UsageError(selected.error().message);

  if (o.list) {
    cf::RunnerOptions ro = MakeRunnerOptions(effective, *claims, start_rpc);
    std::cout << cf::ListScenarios(*selected, cf::CapabilitiesOf(ro));
    return kExitOk;
  }

  // Backend definitions must load together, as one `cable rpc` loads them.
  std::vector<std::string> backends;
  for (const auto* s : *selected)
    for (const auto& b : s->backends)
      if (std::find(backends.begin(), backends.end(), b) == backends.end()) backends.push_back(b);
  if (!backends.empty() && start_rpc) {
    if (auto st = cf::CheckBackends(backends); !st.ok()) {
      std::cerr << st.error().message
                << "\ncable conformance: backend definitions do not load; nothing was run\n";
      return kExitUsage;
    }
  }

  cf::RunnerOptions ro = MakeRunnerOptions(effective, *claims, start_rpc);
  auto& io = ro.instance;
  cf::RemoveOnInterrupt(io.log_dir);

  std::mutex progress_mu;
  auto progress = [&](const cf::ScenarioResult& r) {
    if (!o.verbose) return;
    std::lock_guard lock(progress_mu);
    const char* tag = r.outcome == cf::Outcome::kPassed   ? "ok  "
                      : r.outcome == cf::Outcome::kFailed ? "FAIL"
                                                          : "skip";
    std::cerr << tag << "  " << r.scenario->id() << "  (" << r.duration_s << "s)\n";
  };
  cf::RunReport report = cf::RunScenarios(*selected, ro, progress);
  if (!io.log_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(io.log_dir, ec);
  }

  WriteReports(o, report);
  return cf::Count(report).failed > 0 ? kExitFailure : kExitOk;
}

}  // namespace

void AddConformanceCommand(CLI::App& root, Commands& commands) {
  auto* sub = root.add_subcommand(
      "conformance", "Run AnyT-style conformance scenarios (YAML) against a server and report");
  sub->footer(std::string(kFooter) + FeatureHelp() + kFooterEnd);
  auto o = std::make_shared<Options>();
  sub->add_option("paths", o->paths, "Scenario files or directories");
  sub->add_option("--target-url,-u", o->target_url,
                  "WebSocket URL (ws:// or wss://) of the server under test (default "
                  "ws://127.0.0.1:8080/cable, or ws://127.0.0.1:{port}/cable with a {port} "
                  "command)");
  sub->add_option("--command,-c", o->command, "Command that starts the server under test");
  sub->add_option("--only", o->only, "Only scenario files whose path matches one of these regexes")
      ->delimiter(',');
  sub->add_option("--except", o->except, "Skip scenario files whose path matches one of these")
      ->delimiter(',');
  sub->add_option("--filter,-e", o->filter,
                  "Only scenarios whose \"feature: name\" matches this regex (case-insensitive)");
  sub->add_option("--profile", o->profile,
                  "What the target is: actioncable, anycable-go or cable (sets the features "
                  "it claims)")
      ->check(CLI::IsMember({"actioncable", "anycable-go", "cable"}));
  sub->add_option("--features", o->features,
                  "Features the target claims (default all), or +name/-name changes to the "
                  "profile's");
  sub->add_flag("--with-builtin", o->with_builtin,
                "Run the built-in suite as well as the PATHS given");
  sub->add_option("--timeout-scale", o->timeout_scale, "Multiplies every timeout and wait")
      ->check(CLI::Range(0.1, 100.0))
      ->capture_default_str();
  sub->add_option("--jobs,-j", o->jobs, "Scenarios run in parallel (default: number of cores)")
      ->check(CLI::Range(1, 64));
  sub->add_option("--broadcast-url", o->broadcast_url,
                  "HTTP broadcast URL (default: the target's port with a key, else 8090)");
  sub->add_option("--broadcast-adapter", o->broadcast_adapter,
                  "How scenarios broadcast by default: http, api, redis, redisx, nats or "
                  "actioncable-redis (default: the profile's, else http)")
      ->check(CLI::IsMember({"http", "api", "redis", "redisx", "nats", "actioncable-redis"}));
  sub->add_option("--channel-prefix", o->channel_prefix,
                  "actioncable-redis: the target's Action Cable channel_prefix (cable.yml)");
  sub->add_option("--broadcast-key", o->broadcast_key,
                  "HTTP broadcast key (default: derived from --secret; none: no key)");
  sub->add_option("--api-url", o->api_url,
                  "REST API base URL (default: the target's port, path /api)");
  sub->add_option("--api-key", o->api_key,
                  "REST API key (default: derived from --secret; none: no key)");
  sub->add_option("--redis-url", o->redis_url, "Redis for redis/redisx broadcasts")
      ->capture_default_str();
  sub->add_option("--redis-channel", o->redis_channel, "Redis channel / stream")
      ->capture_default_str();
  AddRedisFlags(sub, o->redis, "", false);
  sub->add_option("--nats-url", o->nats_url, "NATS servers for nats broadcasts")
      ->capture_default_str();
  sub->add_option("--nats-channel", o->nats_channel, "NATS subject")->capture_default_str();
  sub->add_option("--secret", o->secret,
                  "The target's application secret: JWTs, signed streams, broadcast key");
  sub->add_option("--jwt-secret", o->jwt_secret, "JWT secret, if not --secret");
  sub->add_option("--streams-secret", o->streams_secret, "Signed streams secret, if not --secret");
  sub->add_option("--turbo-secret", o->turbo_secret,
                  "Turbo Streams secret, if not the streams one");
  sub->add_option("--tls-ca", o->tls_ca,
                  "CA certificate (PEM) trusted for a wss:// target and https:// broadcasts")
      ->check(CLI::ExistingFile);
  sub->add_flag("--insecure", o->insecure,
                "Do not verify the certificate of a wss:// target or https:// broadcasts");
  sub->add_option("--rpc-listen", o->rpc_listen, "Address for the started cable rpc backend");
  sub->add_flag("--no-rpc", o->no_rpc,
                "Do not start cable rpc: the target has its own backend (a deployment)");
  sub->add_flag("--rpc-http", o->rpc_http,
                "The started cable rpc serves HTTP RPC instead of gRPC, at "
                "http://{rpc_host}/_anycable (secret derived from --secret)");
  sub->add_option("--format", o->format, "Report format: text, junit or json")
      ->check(CLI::IsMember({"text", "junit", "json"}))
      ->capture_default_str();
  sub->add_option("--output,-o", o->output, "Write the report to this file");
  sub->add_option("--start-timeout", o->start_timeout,
                  "Seconds a started process may take to accept connections")
      ->check(CLI::Range(0.1, 600.0))
      ->capture_default_str();
  sub->add_flag("--list,-l", o->list,
                "List the selected scenarios (file, features, run or skip and why) and exit");
  sub->add_flag("--verbose,-v", o->verbose, "Print each scenario's result as it finishes");
  sub->add_flag("--debug", o->debug, "Let started processes write to this terminal");
  commands[sub] = [o] {
    int code = Run(*o);
    // Children stopped by an interrupt make scenarios fail; the exit code
    // must still say "interrupted", so let the watcher finish and exit.
    cf::AwaitInterruptExit();
    return code;
  };
}

}  // namespace cable::cli
