#include "cli/inert_settings.h"

namespace cable::cli {

namespace {

using K = InertKind;

// Reasons shared by families of settings.
constexpr std::string_view kGoPool =
    "cable runs this work on its event-loop workers (--workers), not a goroutine pool";
constexpr std::string_view kEnats =
    "cable has no embedded NATS; run nats-server and point --nats_servers at it";
constexpr std::string_view kWsBuffers =
    "cable's WebSocket buffers grow as a message needs; there is no fixed buffer to size";
constexpr std::string_view kTelemetry = "cable sends no usage telemetry";
constexpr std::string_view kPro = "AnyCable Pro only";

constexpr InertSetting kInert[] = {
    // Go runtime and goroutine pools: there is nothing to tune in cable.
    {"hub_gopool_size", "app.broadcast_gopool_size", "", K::kInt, "16", kGoPool},
    {"shutdown_pool_size", "app.shutdown_disconnect_gopool_size", "", K::kInt, "16",
     "cable's Disconnect calls on shutdown go through its disconnect queue, not a goroutine "
     "pool"},
    {"read_buffer_size", "ws.read_buffer_size", "", K::kInt, "1024", kWsBuffers},
    {"write_buffer_size", "ws.write_buffer_size", "", K::kInt, "1024", kWsBuffers},
    {"stats_refresh_interval", "app.stats_refresh_interval", "", K::kInt, "5",
     "cable reads its gauges when the metrics are exported; there is nothing to refresh"},
    {"redis_disable_cache", "redis.disable_cache", "", K::kBool, "false",
     "cable's Redis client has no client-side cache"},
    {"metrics_log_formatter", "", "", K::kString, "",
     "cable does not run Ruby formatter scripts; --metrics_log writes text, or JSON with "
     "--log_format json"},
    {"", "", "ANYCABLE_DISABLE_TELEMETRY", K::kBool, "false", kTelemetry},
    {"", "", "ANYCABLE_TELEMETRY_URL", K::kString, "", kTelemetry},

    // Deprecated in anycable-go itself, where they have no effect either.
    {"turbo_rails_cleartext", "", "", K::kBool, "false",
     "deprecated in anycable-go, where it has no effect either; use --public_streams"},
    {"cable_ready_cleartext", "", "", K::kBool, "false",
     "deprecated in anycable-go, where it has no effect either; use --public_streams"},
    {"disconnect_timeout", "disconnector.shutdowntimeout", "", K::kInt, "0",
     "deprecated in anycable-go, where it has no effect either; use --shutdown_timeout"},

    // Embedded NATS.
    {"embed_nats", "embedded_nats.enabled", "", K::kBool, "false", kEnats},
    {"enats_addr", "embedded_nats.service_addr", "", K::kString, "nats://127.0.0.1:4222", kEnats},
    {"enats_cluster", "embedded_nats.cluster_addr", "", K::kString, "", kEnats},
    {"enats_cluster_name", "embedded_nats.cluster_name", "", K::kString, "anycable-cluster",
     kEnats},
    {"enats_cluster_routes", "embedded_nats.routes", "", K::kList, "", kEnats},
    {"enats_gateway", "embedded_nats.gateway_addr", "", K::kString, "", kEnats},
    {"enats_gateways", "embedded_nats.gateways", "", K::kList, "", kEnats},
    {"enats_gateway_advertise", "embedded_nats.gateway_advertise", "", K::kString, "", kEnats},
    {"enats_store_dir", "embedded_nats.jetstream_store_dir", "", K::kString, "", kEnats},
    {"enats_server_name", "embedded_nats.name", "", K::kString, "", kEnats},
    {"enats_debug", "embedded_nats.debug", "", K::kBool, "false", kEnats},
    {"enats_trace", "embedded_nats.trace", "", K::kBool, "false", kEnats},
    {"", "embedded_nats.jetstream", "", K::kBool, "false", kEnats},
    {"", "embedded_nats.jetstream_ready_timeout", "", K::kInt, "0", kEnats},

    // Done differently in cable, on purpose.
    {"", "", "ANYCABLE_MEMORY_METRICS", K::kBool, "false",
     "Go memory statistics do not exist in cable; it exports mem_sys_bytes"},
    {"", "redis.max_reconnect_attempts", "", K::kInt, "5",
     "cable reconnects to Redis without limit (backoff from 0.1 s doubling to 5 s) and serves "
     "its own clients meanwhile; anycable-go exits once this many attempts in a row fail"},
    {"", "redis.internal_channel", "", K::kString, "__anycable_internal__",
     "removed from anycable-go, where it had no effect either; the pub/sub's channel is "
     "redis_pubsub.channel"},
    {"", "nats.max_reconnect_attempts", "", K::kInt, "5",
     "cable reconnects to NATS without limit (backoff from 0.1 s doubling to 5 s); "
     "anycable-go's client gives the connection up after this many attempts"},

    // AnyCable Pro: accepted so a Pro configuration starts, and said so.
    {"rpc_concurrency_initial", "", "", K::kInt, "", kPro},
    {"rpc_concurrency_min", "", "", K::kInt, "", kPro},
    {"rpc_concurrency_max", "", "", K::kInt, "", kPro},
    {"shutdown_slowdrain", "", "", K::kBool, "false", kPro},
    {"netpoll_enabled", "", "", K::kBool, "", kPro},
    {"poll_path", "", "", K::kString, "/lp", kPro},
    {"poll_interval", "", "", K::kInt, "15", kPro},
    {"poll_flush_interval", "", "", K::kInt, "500", kPro},
    {"poll_max_request_size", "", "", K::kInt, "65536", kPro},
    {"poll_keepalive_timeout", "", "", K::kInt, "5", kPro},
    {"graphql_path", "", "", K::kString, "", kPro},
    {"ocpp_path", "", "", K::kString, "", kPro},
};

}  // namespace

std::span<const InertSetting> InertSettings() {
  return kInert;
}

const InertSetting* FindInertToml(std::string_view dotted_key) {
  for (const auto& s : kInert) {
    if (!s.toml.empty() && s.toml == dotted_key) return &s;
  }
  return nullptr;
}

}  // namespace cable::cli
