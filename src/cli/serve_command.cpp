// `cable serve`: the AnyCable-compatible WebSocket server. Flags and
// ANYCABLE_* variables carry anycable-go's names and defaults; both
// `--rpc_host` and `--rpc-host` spellings are accepted.

#include <cstdlib>
#include <deque>
#include <iostream>

#include "cli/command.h"
#include "cli/inert_settings.h"
#include "cli/serve_config_file.h"
#include "common/log.h"
#include "common/random_id.h"
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
  std::string metrics_log_filter;
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
  std::string http_broadcast_secret, rpc_impl;
  int http_rpc_timeout = 3000, metrics_log_interval = 0;
  bool disable_disconnect = false;
  // Where the accepted-but-inert settings land (CLI11 keeps references, and
  // deques do not move their elements as they grow).
  std::deque<std::string> inert_strings;
  std::deque<bool> inert_bools;
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

bool Given(const CLI::App& serve, const char* flag) {
  const CLI::Option* option = const_cast<CLI::App&>(serve).get_option_no_throw(flag);
  return option != nullptr && option->count() > 0;
}

// Sets `option` from `env` when neither its flag nor its ANYCABLE_ variable did.
void UseConventionalEnv(CLI::Option& option, const char* env) {
  if (option.count() > 0) return;
  const char* value = std::getenv(env);
  if (value == nullptr || *value == '\0') return;
  option.add_result(value);
  option.run_callback();
}

// CLI11 leaves hidden options unnamed in its own messages, so the check of a
// hidden integer names the option itself.
CLI::Validator IntegerCheck(const std::string& name) {
  return CLI::Validator(
      [name](const std::string& v) {
        size_t used = 0;
        try {
          (void)std::stoll(v, &used);
        } catch (const std::exception&) {
        }
        return used != 0 && used == v.size()
                   ? std::string()
                   : "--" + name + ": expected an integer, got \"" + v.substr(0, 64) + "\"";
      },
      "INT");
}

// Inert settings are hidden from --help (docs/configuration.md lists them)
// but parse like any other: both spellings, ANYCABLE_*, anycable-go's
// default, and the value checked for its kind.
void AddInertOptions(CLI::App* app, ServeOptions& o) {
  for (const auto& s : InertSettings()) {
    if (s.flag.empty()) continue;
    const std::string name(s.flag);
    const std::string help = "No effect in cable: " + std::string(s.reason);
    CLI::Option* option = nullptr;
    if (s.kind == InertKind::kBool) {
      o.inert_bools.push_back(s.default_value == "true");
      option = app->add_flag(Names(name), o.inert_bools.back(), help);
    } else {
      o.inert_strings.emplace_back(s.default_value);
      option = app->add_option(Names(name), o.inert_strings.back(), help);
      if (s.kind == InertKind::kInt) option->check(IntegerCheck(name));
    }
    option->envname(EnvName(name))->group("");
  }
}

// One line per inert setting that was given, so nobody believes a setting
// took effect when it did not. Settings only the file has are reported
// while the file is read.
void WarnAboutInertSettings(const CLI::App& serve) {
  for (const auto& s : InertSettings()) {
    if (!s.flag.empty() && Given(serve, ("--" + std::string(s.flag)).c_str())) {
      log::Warn("--{} has no effect: {}", s.flag, s.reason);
    } else if (!s.env.empty()) {
      const std::string env(s.env);
      const char* value = std::getenv(env.c_str());
      if (value != nullptr && *value != '\0') log::Warn("{} has no effect: {}", env, s.reason);
    }
  }
}

bool IsHttpUrl(const std::string& host) {
  return host.rfind("http://", 0) == 0 || host.rfind("https://", 0) == 0;
}

// anycable-go picks the RPC client from --rpc_impl, else from the scheme of
// --rpc_host; cable only goes by the scheme, so an --rpc_impl that the host
// contradicts would silently pick the other client: refuse it instead.
void ApplyRpcImpl(ServeOptions& o) {
  auto& c = o.config;
  if (o.rpc_impl.empty()) return;
  if (o.rpc_impl == "none") {
    c.norpc = true;
    return;
  }
  if (c.norpc || !c.rpc_inline.empty()) return;
  const bool http = IsHttpUrl(c.rpc_host);
  if (o.rpc_impl == "http" && !http) {
    throw UsageError("--rpc_impl http: --rpc_host must be an http:// or https:// URL (got \"" +
                     c.rpc_host.substr(0, 128) + "\")");
  }
  if (o.rpc_impl == "grpc" && http) {
    throw UsageError("--rpc_impl grpc: --rpc_host is an HTTP URL (\"" + c.rpc_host.substr(0, 128) +
                     "\"); give host:port, or --rpc_impl http");
  }
}

void ApplyDeprecatedAliases(const CLI::App& serve, ServeOptions& o) {
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
  // As in anycable-go, the old name wins over --broadcast_key.
  if (!o.http_broadcast_secret.empty()) {
    use("--http_broadcast_secret", "--broadcast_key");
    c.broadcast_key = o.http_broadcast_secret;
  }
  if (Given(serve, "--http_rpc_timeout")) {
    use("--http_rpc_timeout", "--rpc_request_timeout");
    if (!Given(serve, "--rpc_request_timeout")) c.rpc_request_timeout_ms = o.http_rpc_timeout;
  }
  if (o.metrics_log_interval > 0) {
    use("--metrics_log_interval", "--metrics_rotate_interval");
    if (!Given(serve, "--metrics_rotate_interval"))
      c.metrics_rotate_interval_s = o.metrics_log_interval;
  }
  if (o.disable_disconnect) {
    use("--disable_disconnect", "--disconnect_mode never");
    c.disconnect_mode = server::DisconnectMode::kNever;
  }
  ApplyRpcImpl(o);
}

std::string EnvOr(const char* name, const std::string& fallback = {}) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::string(value) : fallback;
}

bool HasEnv(const char* name) {
  return std::getenv(name) != nullptr;
}

// Without --presets, anycable-go infers the platform from its variables.
std::vector<std::string> DetectPresets() {
  std::vector<std::string> presets;
  if (HasEnv("FLY_APP_NAME") && HasEnv("FLY_ALLOC_ID") && HasEnv("FLY_REGION"))
    presets.push_back("fly");
  if (HasEnv("HEROKU_APP_ID") && HasEnv("HEROKU_DYNO_ID")) presets.push_back("heroku");
  return presets;
}

// fly.io: listen on every interface, broadcasts on the main port, the RPC
// app over Fly's private DNS. anycable-go also embeds NATS for pub/sub when
// no Redis is configured; cable has no embedded NATS, so it says so.
void ApplyFlyPreset(const CLI::App& serve, ServeOptions& o) {
  auto& c = o.config;
  if (!HasEnv("FLY_REGION")) throw UsageError("--presets fly: FLY_REGION env is missing");
  if (!HasEnv("FLY_APP_NAME")) throw UsageError("--presets fly: FLY_APP_NAME env is missing");
  const std::string region = EnvOr("FLY_REGION");
  const bool redis = Given(serve, "--redis_url");
  if (!Given(serve, "--host")) c.host = "0.0.0.0";
  if (!Given(serve, "--http_broadcast_port")) c.http_broadcast_port = c.port;
  if (!Given(serve, "--pubsub")) {
    if (redis) {
      c.pubsub_adapter = "redis";
    } else {
      log::Warn(
          "--presets fly: anycable-go would embed NATS for pub/sub here; cable has no embedded "
          "NATS (run nats-server, then --pubsub nats --nats_servers URL)");
    }
  }
  if (!redis && !Given(serve, "--broadcast_adapter")) c.broadcast_adapters = {"http"};
  if (HasEnv("ANYCABLE_FLY_RPC_APP_NAME") && !Given(serve, "--rpc_host")) {
    c.rpc_host = "dns:///" + region + "." + EnvOr("ANYCABLE_FLY_RPC_APP_NAME") + ".internal:50051";
  }
}

// Heroku: every interface, and broadcasts on the one port the dyno gets.
void ApplyHerokuPreset(const CLI::App& serve, ServeOptions& o) {
  auto& c = o.config;
  if (!Given(serve, "--host")) c.host = "0.0.0.0";
  const std::string port = EnvOr("PORT");
  if (!Given(serve, "--http_broadcast_port") && !port.empty()) {
    try {
      size_t used = 0;
      c.http_broadcast_port = std::stoi(port, &used);
      if (used != port.size()) throw std::invalid_argument(port);
    } catch (const std::exception&) {
      throw UsageError("--presets heroku: PORT is not a number: \"" + port.substr(0, 32) + "\"");
    }
  }
}

// `broker`: the memory broker, HTTP broadcasts plus Redis Streams and Redis
// pub/sub when a Redis URL is configured.
void ApplyBrokerPreset(const CLI::App& serve, ServeOptions& o) {
  auto& c = o.config;
  const bool redis = Given(serve, "--redis_url");
  if (!Given(serve, "--broker")) o.broker = "memory";
  if (!Given(serve, "--broadcast_adapter")) {
    c.broadcast_adapters = redis ? std::vector<std::string>{"http", "redisx", "redis"}
                                 : std::vector<std::string>{"http"};
  }
  if (!Given(serve, "--pubsub") && redis) c.pubsub_adapter = "redis";
}

// anycable-go's presets fill in settings that were not given (by flag,
// environment or file); they never override one that was.
void ApplyPresets(const CLI::App& serve, ServeOptions& o) {
  const std::vector<std::string> presets =
      o.presets.empty() ? DetectPresets() : SplitList(o.presets);
  for (const auto& preset : presets) {
    if (preset != "none" && preset != "fly" && preset != "heroku" && preset != "broker") {
      throw UsageError("--presets: unknown preset \"" + preset.substr(0, 64) +
                       "\" (known: fly, heroku, broker, none)");
    }
  }
  std::string applied;
  for (const auto& preset : presets) {
    if (preset == "fly") ApplyFlyPreset(serve, o);
    if (preset == "heroku") ApplyHerokuPreset(serve, o);
    if (preset == "broker") ApplyBrokerPreset(serve, o);
    if (preset != "none") applied += (applied.empty() ? "" : ",") + preset;
  }
  if (!applied.empty()) log::Info("Presets: {}", applied);
}

}  // namespace

void AddServeCommand(CLI::App& root, Commands& commands) {
  auto* sub = root.add_subcommand("serve", "Run the AnyCable-compatible WebSocket server");
  auto o = std::make_shared<ServeOptions>();
  auto& c = o->config;
  sub->footer(
      "Settings come from anycable.toml < ANYCABLE_<NAME> variables (e.g. ANYCABLE_RPC_HOST) <\n"
      "flags; --print-config shows the result. Every other anycable-go setting is accepted\n"
      "and, when set, named in a warning saying why it has no effect here.\n"
      "Details: docs/configuration.md\n"
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

  const std::string kSse = "Server-Sent Events";
  Switch(sub, "sse", c.sse,
         "Serve Server-Sent Events (EventSource) on the main port, authenticated like WebSocket "
         "clients",
         kSse);
  Flag(sub, "sse_path", c.sse_path, "Server-Sent Events path", kSse)
      ->check(
          [](const std::string& v) {
            return !v.empty() && v.front() == '/' ? std::string()
                                                  : std::string("must start with / (e.g. /events)");
          },
          "PATH");

  const std::string kDs = "Durable Streams";
  Switch(sub, "ds", c.ds,
         "Serve Durable Streams reads (catch-up, long-poll, SSE) of broker history on the main "
         "port; needs --broker",
         kDs);
  Flag(sub, "ds_path", c.ds_path, "Durable Streams path (streams are read at <path>/<stream>)", kDs)
      ->check(
          [](const std::string& v) {
            return v.size() > 1 && v.front() == '/' && v.back() != '/'
                       ? std::string()
                       : std::string("must start with / and not end with it (e.g. /ds)");
          },
          "PATH");
  Switch(sub, "ds_skip_auth", c.ds_skip_auth,
         "Do not authenticate Durable Streams clients; streams are still authorized (signed or "
         "public)",
         kDs);
  Flag(sub, "ds_poll_interval", c.ds_poll_interval_s,
       "Seconds a Durable Streams long-poll waits for a message before 204", kDs)
      ->check(CLI::Range(0, 3600));
  Flag(sub, "ds_sse_ttl", c.ds_sse_ttl_s, "Seconds a Durable Streams SSE response lasts (0: 60)",
       kDs)
      ->check(CLI::Range(0, 86400));

  const std::string kProtocol = "Protocol";
  Flag(sub, "ping_interval", c.ping_interval_s, "Seconds between server pings", kProtocol)
      ->check(CLI::NonNegativeNumber);
  Flag(sub, "ping_timestamp_precision", o->ping_timestamp_precision,
       "Ping timestamp precision: s, ms or ns", kProtocol)
      ->check(CLI::IsMember({"s", "ms", "ns"}));
  Switch(sub, "enable_ws_compression", c.enable_ws_compression,
         "Compress messages (permessage-deflate) for clients that offer it", kProtocol);
  Switch(sub, "enable_native_pings", c.enable_native_pings,
         "Also send WebSocket ping frames; their pongs keep clients alive under --pong_timeout",
         kProtocol);
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
       "Per-attempt RPC timeout, ms (0: none for gRPC, 3000 for HTTP RPC)", kRpc)
      ->check(CLI::NonNegativeNumber);
  Flag(sub, "rpc_command_timeout", c.rpc_command_timeout_ms,
       "Overall RPC command timeout including retries, ms", kRpc)
      ->check(CLI::PositiveNumber);
  Flag(sub, "http_rpc_secret", c.http_rpc_secret,
       "Bearer secret for HTTP RPC (default: derived from --secret)", kRpc);
  Switch(sub, "rpc_enable_tls", c.rpc_enable_tls,
         "Call the gRPC backend over TLS (HTTP RPC: use an https:// --rpc_host)", kRpc);
  Flag(sub, "rpc_tls_verify", c.rpc_tls_verify,
       "Check the RPC backend's certificate, gRPC or https:// (false: encrypted but "
       "unauthenticated, for development)",
       kRpc);
  Flag(sub, "rpc_tls_root_ca", c.rpc_tls_root_ca,
       "CA certificate(s) the RPC backend's certificate must chain to: a PEM file or PEM text "
       "(turns gRPC TLS on; default: the system's CAs)",
       kRpc);
  Flag(sub, "rpc_max_call_recv_size", c.rpc_max_call_recv_size,
       "Largest RPC reply accepted, in bytes (0: 4 MiB), gRPC and HTTP", kRpc)
      ->check(CLI::NonNegativeNumber);
  Flag(sub, "rpc_max_call_send_size", c.rpc_max_call_send_size,
       "Largest RPC request sent, in bytes (0: no limit), gRPC and HTTP", kRpc)
      ->check(CLI::NonNegativeNumber);
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
  Flag(sub, "rpc_impl", o->rpc_impl,
       "RPC client: grpc or http (must agree with --rpc_host), none (= --norpc); default: from "
       "--rpc_host",
       kRpc)
      ->check(CLI::IsMember({"", "grpc", "http", "none"}));

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
  Switch(sub, "http_broadcast_cors", c.http_broadcast_cors,
         "CORS headers and OPTIONS preflight on the HTTP broadcast path (origins: "
         "--allowed_origins, else any)",
         kBroadcast);
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
  Flag(sub, "redis_sentinels", c.redis_sentinels,
       "Redis Sentinel addresses, comma-separated ([user:password@]host:port); --redis_url's host "
       "is then the master's name",
       kBroadcast);
  Flag(sub, "redis_sentinel_discovery_interval", c.redis_sentinel_discovery_interval_s,
       "Seconds between asking the sentinels for the other sentinels of the master, which are "
       "then asked too when the master changes (0: never)",
       kBroadcast);
  Flag(sub, "redis_keepalive_interval", c.redis_keepalive_interval_s,
       "Seconds an idle Redis connection waits before it sends PING; no reply within that time "
       "(at most 10 s) means a reconnect",
       kBroadcast);
  Flag(sub, "redis_tls_verify", c.redis_tls_verify,
       "Check the certificate of Redis at rediss:// URLs (false: encrypted but unauthenticated; "
       "anycable-go defaults to false)",
       kBroadcast);
  Flag(sub, "redis_tls_ca_cert_path", c.redis_tls_ca_cert_path,
       "CA certificate(s) (PEM file) Redis' certificate must chain to (default: the system's CAs)",
       kBroadcast);
  Flag(sub, "redis_tls_client_cert_path", c.redis_tls_client_cert_path,
       "Client certificate (PEM file) for Redis servers that require one", kBroadcast);
  Flag(sub, "redis_tls_client_key_path", c.redis_tls_client_key_path,
       "Key (PEM file) of --redis_tls_client_cert_path", kBroadcast);
  Flag(sub, "nats_servers", c.nats_servers,
       "NATS server URLs, comma-separated, for the `nats` adapter and pub/sub", kBroadcast);
  Flag(sub, "nats_channel", c.nats_channel, "NATS subject of the `nats` adapter", kBroadcast);
  Switch(sub, "nats_dont_randomize_servers", c.nats_dont_randomize_servers,
         "Try --nats_servers in the order listed (default: shuffled, spreading nodes over them)",
         kBroadcast);
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
       "Configuration presets, comma-separated: fly, heroku, broker (memory broker, "
       "http[,redisx,redis] broadcasts), none (default: fly/heroku when their variables are set)",
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

  const std::string kPusher = "Pusher protocol (on with --pusher_app_id and --pusher_app_key)";
  Flag(sub, "pusher_app_id", c.pusher.app_id,
       "Pusher application id: the REST API answers under /apps/<id>/", kPusher);
  Flag(sub, "pusher_app_key", c.pusher.app_key,
       "Pusher application key: Pusher clients connect to /app/<key>", kPusher);
  Flag(sub, "pusher_secret", c.pusher.secret,
       "Pusher secret, signing private/presence channels and API requests (default: --secret)",
       kPusher);
  Flag(sub, "pusher_api_port", c.pusher_api_port, "Port of the Pusher REST API (0: the main port)",
       kPusher)
      ->check(CLI::Range(0, 65535));

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
  Flag(sub, "node_id", c.node_id,
       "This node's identifier, e.g. its Redis Streams consumer name (default: random)", kOps);

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
       "Seconds between metrics log lines and StatsD flushes", kMetrics)
      ->check(CLI::PositiveNumber);
  Flag(sub, "metrics_log_filter", o->metrics_log_filter,
       "Metrics the log line shows, e.g. rpc_call_total,clients_num (empty: all)", kMetrics);
  Flag(sub, "statsd_host", c.statsd_host, "Send metrics to this StatsD host:port over UDP",
       kMetrics);
  Flag(sub, "statsd_prefix", c.statsd_prefix, "Prefix of StatsD metric names", kMetrics);
  Flag(sub, "statsd_tags_format", c.statsd_tags_format,
       "How StatsD lines carry --metrics_tags: datadog, influxdb or graphite", kMetrics);
  Flag(sub, "statsd_max_packet_size", c.statsd_max_packet_size,
       "Largest StatsD UDP packet, in bytes", kMetrics)
      ->check(CLI::PositiveNumber);

  // anycable-go's old names, hidden as there; mapped with a warning.
  const std::string kHidden;
  Flag(sub, "http_broadcast_secret", o->http_broadcast_secret, "Deprecated: use --broadcast_key",
       kHidden);
  Flag(sub, "http_rpc_timeout", o->http_rpc_timeout, "Deprecated: use --rpc_request_timeout",
       kHidden)
      ->check(IntegerCheck("http_rpc_timeout"));
  Flag(sub, "metrics_log_interval", o->metrics_log_interval,
       "Deprecated: use --metrics_rotate_interval", kHidden)
      ->check(IntegerCheck("metrics_log_interval"));
  Switch(sub, "disable_disconnect", o->disable_disconnect,
         "Deprecated: use --disconnect_mode never", kHidden);
  // Hidden in anycable-go too; the channels exist there only in the file,
  // the flags here are what the file's keys land in.
  const CLI::Validator kNonEmpty(
      [](const std::string& v) { return v.empty() ? std::string("must not be empty") : ""; },
      "NAME");
  Flag(sub, "redisx_group", c.redisx_group, "Consumer group of the `redisx` adapter", kHidden)
      ->check(kNonEmpty);
  Flag(sub, "redisx_read_block_milliseconds", c.redisx_read_block_ms,
       "How long one read of the `redisx` adapter blocks; entries pending that long are "
       "reclaimed from a consumer that is gone",
       kHidden)
      ->check(CLI::Range(1, 600000));
  Flag(sub, "redis_pubsub_channel", c.redis_pubsub_channel,
       "Redis channel of remote commands between nodes", kHidden)
      ->check(kNonEmpty);
  Flag(sub, "nats_pubsub_channel", c.nats_pubsub_channel,
       "NATS subject of remote commands between nodes", kHidden)
      ->check(kNonEmpty);
  Flag(sub, "streams_pubsub_channel", c.pubsub_channel,
       "Channel name of signed and public streams ($pubsub)", kHidden)
      ->check(kNonEmpty);
  AddInertOptions(sub, *o);

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
    WarnAboutInertSettings(*sub);
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
    c.metrics_log_filter = SplitList(o->metrics_log_filter);
    ParsePingPrecision(o->ping_timestamp_precision, &c.ping_timestamp_precision);
    ParseDisconnectMode(o->disconnect_mode, &c.disconnect_mode);
    ApplyPresets(*sub, *o);
    ParseBrokerAdapter(o->broker, &c.broker);
    if (c.paths.empty()) throw UsageError("--path: at least one path is required");
    if (o->debug) c.log_level = "debug";
    log::Level level;
    if (log::ParseLevel(c.log_level, &level)) log::SetLevel(level);
    log::SetFormat(c.log_format == "json" ? log::Format::kJson : log::Format::kText);
    ApplyDeprecatedAliases(*sub, *o);
    // Every line names the node, as anycable-go's do (6 characters unless
    // --node_id says otherwise), so logs of several nodes can be told apart.
    if (c.node_id.empty()) c.node_id = RandomId(6);
    log::SetNodeId(c.node_id);
    // From here on a stalled stderr must not stall the event loops.
    log::StartAsync();
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
