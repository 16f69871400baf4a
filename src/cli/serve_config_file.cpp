#include "cli/serve_config_file.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <filesystem>
#include <string_view>

#include "cli/command.h"
#include "cli/inert_settings.h"
#include "common/log.h"
#include "common/strings.h"

namespace cable::cli {

namespace {

enum class Kind { kString, kInt, kBool, kList };

// anycable-go's TOML layout (its config struct tags) -> serve flag.
struct Setting {
  std::string_view table;  // dotted path of the TOML table, "" for top level
  std::string_view key;
  std::string_view flag;
  Kind kind;
  // Old names of a setting above: read, never written by --print-config.
  bool alias = false;
};

constexpr Setting kSettings[] = {
    {"", "node_id", "node_id", Kind::kString},
    {"", "secret", "secret", Kind::kString},
    {"", "broadcast_key", "broadcast_key", Kind::kString},
    {"", "noauth", "noauth", Kind::kBool},
    {"", "public", "public", Kind::kBool},
    {"", "broadcast_adapters", "broadcast_adapter", Kind::kList},
    {"", "pubsub_adapter", "pubsub", Kind::kString},
    {"", "presets", "presets", Kind::kList},
    {"broker", "adapter", "broker", Kind::kString},
    {"broker", "history_limit", "history_limit", Kind::kInt},
    {"broker", "history_ttl", "history_ttl", Kind::kInt},
    {"broker", "sessions_ttl", "sessions_ttl", Kind::kInt},
    {"broker", "presence_ttl", "presence_ttl", Kind::kInt},
    {"api", "port", "api_port", Kind::kInt},
    {"api", "path", "api_path", Kind::kString},
    {"api", "secret", "api_secret", Kind::kString},
    {"api", "cors_headers", "api_cors_headers", Kind::kBool},
    {"pusher", "app_id", "pusher_app_id", Kind::kString},
    {"pusher", "app_key", "pusher_app_key", Kind::kString},
    {"pusher", "secret", "pusher_secret", Kind::kString},
    {"pusher", "api_port", "pusher_api_port", Kind::kInt},
    {"server", "host", "host", Kind::kString},
    {"server", "port", "port", Kind::kInt},
    {"server", "allowed_origins", "allowed_origins", Kind::kList},
    {"server", "max_conn", "max-conn", Kind::kInt},
    {"server", "health_path", "health-path", Kind::kString},
    {"server.ssl", "cert_path", "ssl_cert", Kind::kString},
    {"server.ssl", "key_path", "ssl_key", Kind::kString},
    {"logging", "level", "log_level", Kind::kString},
    {"logging", "format", "log_format", Kind::kString},
    {"logging", "debug", "debug", Kind::kBool},
    {"app", "disconnect_mode", "disconnect_mode", Kind::kString},
    {"app", "ping_interval", "ping_interval", Kind::kInt},
    {"app", "ping_timestamp_precision", "ping_timestamp_precision", Kind::kString},
    {"app", "pong_timeout", "pong_timeout", Kind::kInt},
    {"app", "enable_native_ping", "enable_native_pings", Kind::kBool},
    {"app", "shutdown_timeout", "shutdown_timeout", Kind::kInt},
    {"app", "shutdown_delay", "shutdown_delay", Kind::kInt},
    {"ws", "paths", "path", Kind::kList},
    {"ws", "max_message_size", "max_message_size", Kind::kInt},
    {"ws", "enable_compression", "enable_ws_compression", Kind::kBool},
    {"ws", "write_timeout", "ws_write_timeout", Kind::kInt},
    {"ws", "max_pending_size", "ws_max_pending_size", Kind::kInt},
    {"ws", "max_subscriptions_per_connection", "max_subscriptions_per_connection", Kind::kInt},
    {"sse", "enabled", "sse", Kind::kBool},
    {"sse", "path", "sse_path", Kind::kString},
    {"ds", "enabled", "ds", Kind::kBool},
    {"ds", "path", "ds_path", Kind::kString},
    {"ds", "skip_auth", "ds_skip_auth", Kind::kBool},
    {"ds", "poll_interval", "ds_poll_interval", Kind::kInt},
    {"ds", "sse_ttl", "ds_sse_ttl", Kind::kInt},
    {"rpc", "host", "rpc_host", Kind::kString},
    {"rpc", "proxy_headers", "headers", Kind::kList},
    {"rpc", "proxy_cookies", "proxy-cookies", Kind::kList},
    {"rpc", "concurrency", "rpc_concurrency", Kind::kInt},
    {"rpc", "secret", "http_rpc_secret", Kind::kString},
    {"rpc", "enable_tls", "rpc_enable_tls", Kind::kBool},
    {"rpc", "tls_verify", "rpc_tls_verify", Kind::kBool},
    {"rpc", "tls_root_ca_path", "rpc_tls_root_ca", Kind::kString},
    {"rpc", "max_recv_size", "rpc_max_call_recv_size", Kind::kInt},
    {"rpc", "max_send_size", "rpc_max_call_send_size", Kind::kInt},
    {"rpc", "request_timeout", "rpc_request_timeout", Kind::kInt},
    {"rpc", "command_timeout", "rpc_command_timeout", Kind::kInt},
    {"rpc", "http_request_timeout", "http_rpc_timeout", Kind::kInt, true},
    {"rpc", "implementation", "rpc_impl", Kind::kString, true},
    {"disconnector", "rate", "disconnect_rate", Kind::kInt},
    {"disconnector", "backlog", "disconnect_backlog_size", Kind::kInt},
    {"http_broadcast", "port", "http_broadcast_port", Kind::kInt},
    {"http_broadcast", "path", "http_broadcast_path", Kind::kString},
    {"http_broadcast", "cors_headers", "http_broadcast_cors", Kind::kBool},
    {"http_broadcast", "max_body", "http_broadcast_max_body", Kind::kInt},
    {"http_broadcast", "max_inflight", "http_broadcast_max_inflight", Kind::kInt},
    {"http_broadcast", "secret", "http_broadcast_secret", Kind::kString, true},
    {"redis", "url", "redis_url", Kind::kString},
    {"redis", "sentinels", "redis_sentinels", Kind::kString},
    {"redis", "sentinel_discovery_interval", "redis_sentinel_discovery_interval", Kind::kInt},
    {"redis", "keepalive_ping_interval", "redis_keepalive_interval", Kind::kInt},
    {"redis", "tls_verify", "redis_tls_verify", Kind::kBool},
    {"redis", "tls_ca_cert_path", "redis_tls_ca_cert_path", Kind::kString},
    {"redis", "tls_client_cert_path", "redis_tls_client_cert_path", Kind::kString},
    {"redis", "tls_client_key_path", "redis_tls_client_key_path", Kind::kString},
    {"redis_pubsub_broadcast", "channel", "redis_channel", Kind::kString},
    {"redis_stream_broadcast", "stream", "redisx_stream", Kind::kString},
    {"redis_stream_broadcast", "group", "redisx_group", Kind::kString},
    {"redis_stream_broadcast", "stream_read_block_milliseconds", "redisx_read_block_milliseconds",
     Kind::kInt},
    {"redis_pubsub", "channel", "redis_pubsub_channel", Kind::kString},
    {"nats_pubsub", "channel", "nats_pubsub_channel", Kind::kString},
    {"nats", "servers", "nats_servers", Kind::kList},
    {"nats", "dont_randomize_servers", "nats_dont_randomize_servers", Kind::kBool},
    {"nats_broadcast", "channel", "nats_channel", Kind::kString},
    {"jwt", "secret", "jwt_secret", Kind::kString},
    {"jwt", "param", "jwt_param", Kind::kString},
    {"jwt", "force", "enforce_jwt", Kind::kBool},
    {"metrics", "http_path", "metrics_http", Kind::kString},
    {"metrics", "host", "metrics_host", Kind::kString},
    {"metrics", "port", "metrics_port", Kind::kInt},
    {"metrics", "tags", "metrics_tags", Kind::kList},
    {"metrics", "log", "metrics_log", Kind::kBool},
    {"metrics", "rotate_interval", "metrics_rotate_interval", Kind::kInt},
    {"metrics", "log_filter", "metrics_log_filter", Kind::kList},
    {"metrics.statsd", "host", "statsd_host", Kind::kString},
    {"metrics.statsd", "prefix", "statsd_prefix", Kind::kString},
    {"metrics.statsd", "tags_format", "statsd_tags_format", Kind::kString},
    {"metrics.statsd", "max_packet_size", "statsd_max_packet_size", Kind::kInt},
    {"streams", "secret", "streams_secret", Kind::kString},
    {"streams", "pubsub_channel", "streams_pubsub_channel", Kind::kString},
    {"streams", "public", "public_streams", Kind::kBool},
    {"streams", "whisper", "streams_whisper", Kind::kBool},
    {"streams", "presence", "streams_presence", Kind::kBool},
    {"streams", "turbo", "turbo_streams", Kind::kBool},
    {"streams", "turbo_secret", "turbo_streams_secret", Kind::kString},
    {"streams", "cable_ready", "cable_ready", Kind::kBool},
    {"streams", "cable_ready_secret", "cable_ready_secret", Kind::kString},
};

std::string Dotted(std::string_view table, std::string_view key) {
  return table.empty() ? std::string(key) : fmt::format("{}.{}", table, key);
}

Kind KindOf(InertKind kind) {
  switch (kind) {
    case InertKind::kString:
      return Kind::kString;
    case InertKind::kInt:
      return Kind::kInt;
    case InertKind::kBool:
      return Kind::kBool;
    case InertKind::kList:
      return Kind::kList;
  }
  return Kind::kString;
}

// " (did you mean x?)" for the known key nearest to a mistyped one.
std::string Suggestion(const std::string& dotted) {
  std::string best;
  size_t best_distance = 4;
  auto consider = [&](const std::string& candidate) {
    const size_t d = EditDistance(dotted, candidate);
    if (d < best_distance) best_distance = d, best = candidate;
  };
  for (const auto& s : kSettings) consider(Dotted(s.table, s.key));
  for (const auto& s : InertSettings()) {
    if (!s.toml.empty()) consider(std::string(s.toml));
  }
  return best.empty() ? "" : fmt::format(" (did you mean {}?)", best);
}

const Setting* FindSetting(std::string_view table, std::string_view key) {
  for (const auto& s : kSettings) {
    if (s.table == table && s.key == key) return &s;
  }
  return nullptr;
}

CLI::Option* OptionFor(const CLI::App& serve, std::string_view flag) {
  return const_cast<CLI::App&>(serve).get_option_no_throw("--" + std::string(flag));
}

std::string Where(const std::string& path, const toml::source_region& source) {
  return fmt::format("{}:{}:{}", path, source.begin.line, source.begin.column);
}

// The value as the flag would receive it on the command line; false when
// the TOML type does not fit.
bool ToFlagValue(const toml::node& node, Kind kind, std::string* out) {
  switch (kind) {
    case Kind::kString:
      if (!node.is_string()) return false;
      *out = **node.as_string();
      return true;
    case Kind::kInt:
      if (!node.is_integer()) return false;
      *out = std::to_string(**node.as_integer());
      return true;
    case Kind::kBool:
      if (!node.is_boolean()) return false;
      *out = **node.as_boolean() ? "true" : "false";
      return true;
    case Kind::kList:
      if (node.is_string()) {
        *out = **node.as_string();
        return true;
      }
      if (!node.is_array()) return false;
      out->clear();
      for (const auto& item : *node.as_array()) {
        if (!item.is_string()) return false;
        if (!out->empty()) out->push_back(',');
        *out += **item.as_string();
      }
      return true;
  }
  return false;
}

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kString:
      return "a string";
    case Kind::kInt:
      return "an integer";
    case Kind::kBool:
      return "true or false";
    case Kind::kList:
      return "an array of strings (or one comma-separated string)";
  }
  return "";
}

void ApplyTable(CLI::App& serve, const std::string& path, const toml::table& table,
                const std::string& prefix) {
  for (const auto& [key, node] : table) {
    const std::string name = Dotted(prefix, key.str());
    if (const toml::table* nested = node.as_table()) {
      ApplyTable(serve, path, *nested, name);
      continue;
    }
    const Setting* setting = FindSetting(prefix, key.str());
    const InertSetting* inert = setting ? nullptr : FindInertToml(name);
    if (setting == nullptr && inert == nullptr) {
      log::Warn("{}: {} is not a cable serve or anycable-go setting; ignored{}",
                Where(path, key.source()), name, Suggestion(name));
      continue;
    }
    const Kind kind = setting ? setting->kind : KindOf(inert->kind);
    std::string value;
    if (!ToFlagValue(node, kind, &value)) {
      throw UsageError(
          fmt::format("{}: {}: expected {}", Where(path, node.source()), name, KindName(kind)));
    }
    // Settings with no flag are only in the file, so the file is where
    // they are reported; those with one are reported with their flag.
    if (inert != nullptr && inert->flag.empty()) {
      if (!value.empty()) {
        log::Warn("{}: {} has no effect: {}", Where(path, key.source()), name, inert->reason);
      }
      continue;
    }
    CLI::Option* option = OptionFor(serve, setting ? setting->flag : inert->flag);
    if (option == nullptr) {
      log::Warn("{}: {} is not a cable serve setting; ignored", Where(path, key.source()), name);
      continue;
    }
    // A flag or ANYCABLE_* variable wins; an empty value means "not set"
    // (as --print-config writes settings that have no value).
    if (option->count() > 0 || value.empty()) continue;
    try {
      option->add_result(value);
      option->run_callback();
    } catch (const CLI::Error& e) {
      throw UsageError(fmt::format("{}: {}: {}", Where(path, node.source()), name, e.what()));
    }
  }
}

std::string EffectiveValue(const CLI::Option& option) {
  if (option.count() == 0) return option.get_default_str();
  std::string joined;
  for (const auto& r : option.results()) {
    if (!joined.empty()) joined.push_back(',');
    joined += r;
  }
  return joined;
}

std::string TomlValue(const std::string& value, Kind kind) {
  switch (kind) {
    case Kind::kInt:
      return value.empty() ? "0" : value;
    case Kind::kBool:
      return value == "true" || value == "1" || value == "on" || value == "yes" ? "true" : "false";
    case Kind::kList: {
      toml::array array;
      for (auto& item : SplitList(value)) array.push_back(std::move(item));
      std::ostringstream out;
      out << toml::default_formatter(array, toml::format_flags::none);
      return out.str();
    }
    case Kind::kString:
      break;
  }
  std::ostringstream out;
  out << toml::default_formatter(toml::value<std::string>(value), toml::format_flags::none);
  return out.str();
}

}  // namespace

std::string FindServeConfigFile(const std::string& explicit_path, bool ignore_default) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!explicit_path.empty()) {
    if (!fs::is_regular_file(explicit_path, ec)) {
      throw UsageError(fmt::format("--config-path: {}: no such file", explicit_path));
    }
    return explicit_path;
  }
  if (ignore_default) return "";
  for (const char* candidate : {"anycable.toml", "/etc/anycable/anycable.toml"}) {
    if (fs::is_regular_file(candidate, ec)) return candidate;
  }
  return "";
}

void ApplyServeConfigFile(CLI::App& serve, const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw UsageError(fmt::format("{}: {}", Where(path, e.source()), e.description()));
  }
  ApplyTable(serve, path, table, "");
}

std::string RenderServeConfigToml(const CLI::App& serve) {
  std::string out =
      "# cable serve settings (anycable.toml). Precedence: this file < ANYCABLE_* variables < "
      "flags.\n";
  std::string_view current_table = "";
  for (const auto& s : kSettings) {
    const CLI::Option* option = OptionFor(serve, s.flag);
    if (option == nullptr || s.alias) continue;
    if (s.table != current_table) {
      out += fmt::format("\n[{}]\n", s.table);
      current_table = s.table;
    }
    out +=
        fmt::format("{} = {}  # --{}\n", s.key, TomlValue(EffectiveValue(*option), s.kind), s.flag);
  }
  return out;
}

}  // namespace cable::cli
