// `cable serve`: the AnyCable-compatible WebSocket server. Flags and
// ANYCABLE_* variables carry anycable-go's names and defaults; both
// `--rpc_host` and `--rpc-host` spellings are accepted.

#include <cstdlib>
#include <iostream>

#include "cli/command.h"
#include "cli/serve_config_file.h"
#include "common/log.h"
#include "common/strings.h"
#include "server/app.h"
#include "server/memory_reclaimer.h"

namespace cable::cli {

namespace {

// "--rpc_host" -> "--rpc_host,--rpc-host" with env ANYCABLE_RPC_HOST.
std::string Names(const std::string& name) {
  std::string dashed = name;
  for (char& c : dashed) c = c == '_' ? '-' : c;
  std::string underscored = name;
  for (char& c : underscored) c = c == '-' ? '_' : c;
  if (dashed == underscored) return "--" + name;
  return "--" + underscored + ",--" + dashed;
}

std::string EnvName(const std::string& name) {
  std::string env = "ANYCABLE_";
  for (char c : name)
    env.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return env;
}

struct ServeOptions {
  server::ServerConfig config;
  std::string paths = "/cable";
  std::string allowed_origins;
  std::string headers = "cookie";
  std::string proxy_cookies;
  std::string broadcast_adapter = "http,redis";
  // Checked against their lists by CLI11, typed when the command runs.
  std::string ping_timestamp_precision = "s";
  std::string disconnect_mode = "auto";
  std::string broker = "none";
  std::string presets;
  bool debug = false;
  std::string config_path;
  bool ignore_config_path = false;
  bool print_config = false;
  // Deprecated anycable-go aliases, mapped onto the current settings.
  std::string jwt_id_key, jwt_id_param, turbo_rails_key, cable_ready_key;
  bool jwt_id_enforce = false;
};

template <typename T>
CLI::Option* Flag(CLI::App* app, const std::string& name, T& value, const std::string& help,
                  const std::string& group) {
  return app->add_option(Names(name), value, help)
      ->envname(EnvName(name))
      ->group(group)
      ->capture_default_str();
}

CLI::Option* Switch(CLI::App* app, const std::string& name, bool& value, const std::string& help,
                    const std::string& group) {
  return app->add_flag(Names(name), value, help)->envname(EnvName(name))->group(group);
}

// Sets `option` from `env` when neither its flag nor its ANYCABLE_ variable did.
void UseConventionalEnv(CLI::Option& option, const char* env) {
  if (option.count() > 0) return;
  const char* value = std::getenv(env);
  if (value == nullptr || *value == '\0') return;
  option.add_result(value);
  option.run_callback();
}

void ApplyDeprecatedAliases(ServeOptions& o) {
  auto& c = o.config;
  auto use = [](const char* old_name, const char* new_name) {
    log::Warn("{} is deprecated, use {}", old_name, new_name);
  };
  if (!o.jwt_id_key.empty() && c.jwt_secret.empty())
    use("--jwt_id_key", "--jwt_secret"), c.jwt_secret = o.jwt_id_key;
  if (!o.jwt_id_param.empty()) use("--jwt_id_param", "--jwt_param"), c.jwt_param = o.jwt_id_param;
  if (o.jwt_id_enforce) use("--jwt_id_enforce", "--enforce_jwt"), c.enforce_jwt = true;
  if (!o.turbo_rails_key.empty()) {
    use("--turbo_rails_key", "--turbo_streams --turbo_streams_secret");
    c.turbo_streams = true;
    if (c.turbo_streams_secret.empty()) c.turbo_streams_secret = o.turbo_rails_key;
  }
  if (!o.cable_ready_key.empty()) {
    use("--cable_ready_key", "--cable_ready --cable_ready_secret");
    c.cable_ready = true;
    if (c.cable_ready_secret.empty()) c.cable_ready_secret = o.cable_ready_key;
  }
}

bool Given(const CLI::App& serve, const char* flag) {
  const CLI::Option* option = const_cast<CLI::App&>(serve).get_option_no_throw(flag);
  return option != nullptr && option->count() > 0;
}

// anycable-go's presets fill in settings that were not given. `broker`:
// the memory broker, HTTP broadcasts plus Redis Streams and Redis pub/sub
// when a Redis URL is configured.
void ApplyPresets(const CLI::App& serve, ServeOptions& o) {
  auto& c = o.config;
  for (const auto& preset : SplitList(o.presets)) {
    if (preset == "none") continue;
    if (preset != "broker") {
      throw UsageError("--presets: unknown preset \"" + preset.substr(0, 64) +
                       "\" (known: broker, none)");
    }
    const bool redis = Given(serve, "--redis_url");
    if (!Given(serve, "--broker")) o.broker = "memory";
    if (!Given(serve, "--broadcast_adapter")) {
      c.broadcast_adapters = redis ? std::vector<std::string>{"http", "redisx", "redis"}
                                   : std::vector<std::string>{"http"};
    }
    if (!Given(serve, "--pubsub") && redis) c.pubsub_adapter = "redis";
  }
}

}  // namespace

void AddServeCommand(CLI::App& root, Commands& commands) {
  auto* sub = root.add_subcommand("serve", "Run the AnyCable-compatible WebSocket server");
  auto o = std::make_shared<ServeOptions>();
  auto& c = o->config;
  sub->footer(
      "Settings come from anycable.toml < ANYCABLE_<NAME> variables (e.g. ANYCABLE_RPC_HOST) <\n"
      "flags; --print-config shows the result. Details: docs/configuration.md\n"
      "Examples:\n"
      "  cable serve --backend demo                 # in-process demo backend, no Rails needed\n"
      "  cable serve --rpc_host localhost:50051     # in front of an AnyCable RPC server\n"
      "  cable serve --norpc --broadcast_key none   # broadcasts only");

  const std::string kServer = "Server";
  Flag(sub, "host", c.host, "Address to listen on", kServer);
  auto* port = Flag(sub, "port", c.port, "Port to listen on (also PORT)", kServer)
                   ->envname("ANYCABLE_PORT")
                   ->check(CLI::Range(0, 65535));
  Flag(sub, "path", o->paths, "WebSocket paths, comma-separated (`/*` and `{param}` patterns)",
       kServer);
  Flag(sub, "health-path", c.health_path, "Health check path", kServer);
  Flag(sub, "allowed_origins", o->allowed_origins,
       "Allowed Origin hosts, comma-separated; `*.example.com` matches by suffix (empty: any)",
       kServer);
  Flag(sub, "max-conn", c.max_conn, "Max concurrent TCP connections (0: unlimited)", kServer)
      ->check(CLI::NonNegativeNumber);
  Flag(sub, "ssl_cert", c.ssl_cert,
       "TLS certificate (PEM, chain allowed); with --ssl_key every port serves TLS 1.2+", kServer);
  Flag(sub, "ssl_key", c.ssl_key, "TLS private key (PEM, unencrypted) for --ssl_cert", kServer);
  Flag(sub, "max_message_size", c.max_message_size, "Max inbound WebSocket message, bytes", kServer)
      ->check(CLI::Range(size_t{1}, size_t{1} << 30));
  Flag(sub, "workers", c.workers, "Event-loop threads (0: one per core)", kServer)
      ->check(CLI::NonNegativeNumber);

  const std::string kProtocol = "Protocol";
  Flag(sub, "ping_interval", c.ping_interval_s, "Seconds between server pings", kProtocol)
      ->check(CLI::NonNegativeNumber);
  Flag(sub, "ping_timestamp_precision", o->ping_timestamp_precision,
       "Ping timestamp precision: s, ms or ns", kProtocol)
      ->check(CLI::IsMember({"s", "ms", "ns"}));
  Flag(sub, "pong_timeout", c.pong_timeout_s,
       "Seconds an actioncable-v1-ext-json client may stay silent after a ping before it is "
       "disconnected (no_pong; 0: off)",
       kProtocol)
      ->check(CLI::NonNegativeNumber);
  Flag(sub, "ws_write_timeout", c.ws_write_timeout_s,
       "Seconds a blocked write may wait before the client is dropped", kProtocol)
      ->check(CLI::PositiveNumber);
  Flag(sub, "ws_max_pending_size", c.ws_max_pending_size,
       "Max bytes queued for one client before it is disconnected as too slow (0: unlimited)",
       kProtocol);
  Flag(sub, "max_subscriptions_per_connection", c.max_subscriptions_per_connection,
       "Subscriptions one connection may hold; more are rejected (0: unlimited)", kProtocol)
      ->check(CLI::NonNegativeNumber);

  const std::string kAuth = "Authentication";
  Flag(sub, "secret", c.secret, "Common secret: broadcast key (derived) and more", kAuth);
  Switch(sub, "noauth", c.noauth, "Accept every connection without authentication", kAuth);
  Switch(sub, "public", c.is_public,
         "No authentication anywhere (noauth, public streams, open broadcasts)", kAuth);
  Flag(sub, "jwt_secret", c.jwt_secret, "JWT secret (default: --secret; `none` disables JWT)",
       kAuth);
  Flag(sub, "jwt_param", c.jwt_param, "Query parameter (and X-<param> header) carrying the token",
       kAuth);
  Switch(sub, "enforce_jwt", c.enforce_jwt, "Reject connections without a token", kAuth);
  Flag(sub, "jwt_id_key", o->jwt_id_key, "Deprecated: use --jwt_secret", kAuth);
  Flag(sub, "jwt_id_param", o->jwt_id_param, "Deprecated: use --jwt_param", kAuth);
  Switch(sub, "jwt_id_enforce", o->jwt_id_enforce, "Deprecated: use --enforce_jwt", kAuth);

  const std::string kStreams = "Signed and public streams";
  Flag(sub, "streams_secret", c.streams_secret,
       "Secret for signed stream names (default: --secret)", kStreams);
  Switch(sub, "public_streams", c.public_streams, "Allow unsigned $pubsub stream names", kStreams);
  Switch(sub, "streams_whisper", c.streams_whisper, "Allow whispers on signed streams", kStreams);
  Flag(sub, "streams_presence", c.streams_presence, "Allow presence on signed streams", kStreams);
  Switch(sub, "turbo_streams", c.turbo_streams, "Serve Turbo::StreamsChannel locally", kStreams);
  Flag(sub, "turbo_streams_secret", c.turbo_streams_secret,
       "Secret for Turbo stream names (default: streams secret)", kStreams);
  Switch(sub, "cable_ready", c.cable_ready, "Serve CableReady::Stream locally", kStreams);
  Flag(sub, "cable_ready_secret", c.cable_ready_secret,
       "Secret for CableReady stream names (default: streams secret)", kStreams);
  Flag(sub, "turbo_rails_key", o->turbo_rails_key,
       "Deprecated: use --turbo_streams --turbo_streams_secret", kStreams);
  Flag(sub, "cable_ready_key", o->cable_ready_key,
       "Deprecated: use --cable_ready --cable_ready_secret", kStreams);

  const std::string kRpc = "RPC";
  Flag(sub, "rpc_host", c.rpc_host,
       "RPC server: host:port, dns:///host:port, grpc-list://h1:p1,h2:p2, or http://host/path for "
       "HTTP RPC",
       kRpc);
  sub->add_option(
         "--backend", c.rpc_inline,
         "Run a `cable rpc` backend in-process from YAML files (comma-separated) or a built-in "
         "name (demo, anyt, benchmark) instead of calling an RPC server")
      ->envname("CABLE_BACKEND")
      ->group(kRpc);
  Switch(sub, "norpc", c.norpc, "Run without an RPC server", kRpc);
  Flag(sub, "rpc_concurrency", c.rpc_concurrency, "Max concurrent RPC calls", kRpc)
      ->check(CLI::PositiveNumber);
  Flag(sub, "rpc_request_timeout", c.rpc_request_timeout_ms,
       "Per-attempt RPC timeout, ms (0: none)", kRpc)
      ->check(CLI::NonNegativeNumber);
  Flag(sub, "rpc_command_timeout", c.rpc_command_timeout_ms,
       "Overall RPC command timeout including retries, ms", kRpc)
      ->check(CLI::PositiveNumber);
  Flag(sub, "http_rpc_secret", c.http_rpc_secret,
       "Bearer secret for HTTP RPC (default: derived from --secret)", kRpc);
  Flag(sub, "headers", o->headers, "Request headers passed to RPC, comma-separated", kRpc);
  Flag(sub, "proxy-cookies", o->proxy_cookies,
       "Cookies passed to RPC, comma-separated (empty: all)", kRpc);
  Flag(sub, "disconnect_mode", o->disconnect_mode, "When to call Disconnect: auto, always or never",
       kRpc)
      ->check(CLI::IsMember({"auto", "always", "never"}));
  Flag(sub, "disconnect_rate", c.disconnect_rate, "Max Disconnect calls per second", kRpc)
      ->check(CLI::PositiveNumber);
  Flag(sub, "disconnect_backlog_size", c.disconnect_backlog_size,
       "Disconnect calls queued before they bypass the rate", kRpc)
      ->check(CLI::PositiveNumber);

  const std::string kBroadcast = "Broadcasting";
  // Given twice, the last wins: wrappers can append their choice to defaults.
  Flag(sub, "broadcast_adapter", o->broadcast_adapter,
       "Broadcast adapters, comma-separated: http, redis, redisx, nats", kBroadcast)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  Flag(sub, "broadcast_key", c.broadcast_key,
       "Bearer key for HTTP broadcasts (default: derived from --secret; `none` disables)",
       kBroadcast);
  Flag(sub, "http_broadcast_port", c.http_broadcast_port,
       "HTTP broadcast port (0: main port when a key is set, else 8090)", kBroadcast)
      ->check(CLI::Range(0, 65535));
  Flag(sub, "http_broadcast_path", c.http_broadcast_path, "HTTP broadcast path", kBroadcast);
  Flag(sub, "http_broadcast_max_body", c.http_broadcast_max_body,
       "Largest HTTP broadcast body, bytes (larger: 413 before it is read)", kBroadcast)
      ->check(CLI::PositiveNumber);
  Flag(sub, "http_broadcast_max_inflight", c.http_broadcast_max_inflight,
       "Bytes of HTTP broadcast bodies read at once over all connections (more: 503; 0: "
       "unlimited)",
       kBroadcast);
  auto* redis_url =
      Flag(sub, "redis_url", c.redis_url,
           "Redis URL for the redis/redisx adapters and pub/sub (also REDIS_URL)", kBroadcast);
  Flag(sub, "redis_channel", c.redis_channel, "Redis Pub/Sub channel of the `redis` adapter",
       kBroadcast);
  Flag(sub, "redisx_stream", c.redisx_stream, "Redis stream of the `redisx` adapter", kBroadcast);
  Flag(sub, "nats_servers", c.nats_servers,
       "NATS server URLs, comma-separated, for the `nats` adapter and pub/sub", kBroadcast);
  Flag(sub, "nats_channel", c.nats_channel, "NATS subject of the `nats` adapter", kBroadcast);
  Flag(sub, "pubsub", c.pubsub_adapter,
       "Node-to-node pub/sub: redis, nats or none (default: none, or redis when a non-default "
       "Redis URL or the redisx adapter is configured)",
       kBroadcast)
      ->check(CLI::IsMember({"redis", "nats", "none"}));

  const std::string kBroker = "Broker (reliable streams)";
  Flag(sub, "broker", o->broker,
       "Where history and sessions are kept: none, memory (one node), redis or nats (JetStream; "
       "shared by nodes)",
       kBroker)
      ->check(CLI::IsMember({"none", "memory", "redis", "nats"}));
  Flag(sub, "history_limit", c.history_limit, "Messages kept per stream", kBroker)
      ->check(CLI::PositiveNumber);
  Flag(sub, "history_ttl", c.history_ttl_s, "Seconds a stream's messages are kept", kBroker)
      ->check(CLI::PositiveNumber);
  Flag(sub, "sessions_ttl", c.sessions_ttl_s,
       "Seconds a disconnected session can be restored (0: no restore)", kBroker)
      ->check(CLI::NonNegativeNumber);
  Flag(sub, "presence_ttl", c.presence_ttl_s,
       "Seconds a disconnected client stays a presence member before its leave is broadcast",
       kBroker)
      ->check(CLI::PositiveNumber);
  Flag(sub, "presets", o->presets,
       "Configuration presets, comma-separated: broker (memory broker, http[,redisx,redis] "
       "broadcasts), none",
       kBroker);

  const std::string kApi = "REST API (on with --public, --api_port, --api_secret or --secret)";
  Flag(sub, "api_port", c.api_port, "Port of the REST API (0: the main port)", kApi)
      ->check(CLI::Range(0, 65535));
  Flag(sub, "api_path", c.api_path, "Base path of the REST API", kApi)
      ->check(
          [](const std::string& v) {
            return v.size() > 1 && v.front() == '/' && v.back() != '/'
                       ? std::string()
                       : std::string("must start with / and not end with one (e.g. /api)");
          },
          "PATH");
  Flag(sub, "api_secret", c.api_secret,
       "Bearer key of the REST API (default: derived from --secret)", kApi);
  Switch(sub, "api_cors_headers", c.api_cors_headers,
         "CORS headers and preflight answers on the publish endpoint (origins: "
         "--allowed_origins, else any)",
         kApi);

  const std::string kOps = "Operations";
  Flag(sub, "shutdown_timeout", c.shutdown_timeout_s, "Seconds allowed for a graceful shutdown",
       kOps)
      ->check(CLI::NonNegativeNumber);
  Flag(sub, "shutdown_delay", c.shutdown_delay_s, "Seconds to wait before shutting down", kOps)
      ->check(CLI::NonNegativeNumber);
  Flag(sub, "log_level", c.log_level, "Log level: debug, info, warn, error", kOps)
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  Flag(sub, "log_format", c.log_format, "Log format: text or json", kOps)
      ->check(CLI::IsMember({"text", "json"}));
  Switch(sub, "debug", o->debug, "Debug logging (same as --log_level debug)", kOps);

  const std::string kMetrics = "Metrics";
  Flag(sub, "metrics_http", c.metrics_http,
       "Serve Prometheus metrics at this path, e.g. /metrics (empty: off)", kMetrics);
  Flag(sub, "metrics_host", c.metrics_host, "Metrics listener host (default: --host)", kMetrics);
  Flag(sub, "metrics_port", c.metrics_port, "Metrics port (0: the main port)", kMetrics)
      ->check(CLI::Range(0, 65535));
  Flag(sub, "metrics_tags", c.metrics_tags, "Labels for every metric: key:value,key2:value2",
       kMetrics);
  Switch(sub, "metrics_log", c.metrics_log, "Log the metrics periodically", kMetrics);
  Flag(sub, "metrics_rotate_interval", c.metrics_rotate_interval_s,
       "Seconds between metrics log lines", kMetrics)
      ->check(CLI::PositiveNumber);

  const std::string kConfig = "Configuration file";
  sub->add_option("--config-path,--config_path", o->config_path,
                  "anycable.toml to read (default: ./anycable.toml, else "
                  "/etc/anycable/anycable.toml, when present)")
      ->envname("ANYCABLE_CONFIG_PATH")
      ->group(kConfig);
  sub->add_flag("--ignore-config-path,--ignore_config_path", o->ignore_config_path,
                "Do not look for a default anycable.toml")
      ->group(kConfig);
  sub->add_flag("--print-config,--print_config", o->print_config,
                "Print the effective settings as anycable.toml and exit")
      ->group(kConfig);

  commands[sub] = [o, sub, port, redis_url] {
    auto& c = o->config;
    // anycable-go also reads the conventional PORT and REDIS_URL, after its
    // own variables; as environment variables they beat the file.
    UseConventionalEnv(*port, "PORT");
    UseConventionalEnv(*redis_url, "REDIS_URL");
    const std::string config_file = FindServeConfigFile(o->config_path, o->ignore_config_path);
    if (!config_file.empty()) ApplyServeConfigFile(*sub, config_file);
    if (o->print_config) {
      std::cout << RenderServeConfigToml(*sub);
      return kExitOk;
    }
    if (!config_file.empty()) log::Info("Settings read from {}", config_file);
    c.paths = SplitList(o->paths);
    c.allowed_origins = SplitList(o->allowed_origins);
    c.headers.clear();
    for (auto& h : SplitList(o->headers)) c.headers.push_back(Lower(h));
    c.proxy_cookies = SplitList(o->proxy_cookies);
    c.broadcast_adapters = SplitList(o->broadcast_adapter);
    ParsePingPrecision(o->ping_timestamp_precision, &c.ping_timestamp_precision);
    ParseDisconnectMode(o->disconnect_mode, &c.disconnect_mode);
    ApplyPresets(*sub, *o);
    ParseBrokerAdapter(o->broker, &c.broker);
    if (c.paths.empty()) throw UsageError("--path: at least one path is required");
    if (o->debug) c.log_level = "debug";
    log::Level level;
    if (log::ParseLevel(c.log_level, &level)) log::SetLevel(level);
    log::SetFormat(c.log_format == "json" ? log::Format::kJson : log::Format::kText);
    // From here on a stalled stderr must not stall the event loops.
    log::StartAsync();
    ApplyDeprecatedAliases(*o);
    if (c.is_public) {
      log::Warn(
          "--public: connections, streams and broadcasts are NOT authenticated; do not use in "
          "production");
    }

    server::MemoryReclaimer::TuneAllocator();
    auto app = server::App::Create(c);
    if (!app.ok()) throw UsageError(app.error().message);
    if (auto s = app.value()->Start(); !s.ok()) {
      log::Error("{}", s.error().message);
      return kExitFailure;
    }
    return app.value()->RunUntilSignal();
  };
}

}  // namespace cable::cli
