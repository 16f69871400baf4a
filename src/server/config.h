#pragma once
// Settings of `cable serve`. Names, meanings and defaults follow anycable-go
// (flag `--rpc_host` <-> field rpc_host <-> env ANYCABLE_RPC_HOST); see
// docs/configuration.md for the full table.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/pusher/pusher_settings.h"

namespace cable::server {

// Units of the `message` timestamp in pings (--ping_timestamp_precision s,
// ms, ns; a client may choose with ?ptp=).
enum class PingPrecision : uint8_t { kSeconds, kMillis, kNanos };
// Parses "s", "ms" or "ns"; false on anything else.
inline bool ParsePingPrecision(std::string_view name, PingPrecision* out) {
  if (name == "s")
    *out = PingPrecision::kSeconds;
  else if (name == "ms")
    *out = PingPrecision::kMillis;
  else if (name == "ns")
    *out = PingPrecision::kNanos;
  else
    return false;
  return true;
}

// When the application hears about closed connections (--disconnect_mode):
// auto when it asked to (an RPC Connect or subscription), always, never.
enum class DisconnectMode : uint8_t { kAuto, kAlways, kNever };
inline bool ParseDisconnectMode(std::string_view name, DisconnectMode* out) {
  if (name == "auto")
    *out = DisconnectMode::kAuto;
  else if (name == "always")
    *out = DisconnectMode::kAlways;
  else if (name == "never")
    *out = DisconnectMode::kNever;
  else
    return false;
  return true;
}

// Where reliable streams keep history and sessions (--broker, spec §9).
enum class BrokerAdapter : uint8_t { kNone, kMemory, kRedis, kNats };
inline bool ParseBrokerAdapter(std::string_view name, BrokerAdapter* out) {
  if (name == "none" || name.empty())
    *out = BrokerAdapter::kNone;
  else if (name == "memory")
    *out = BrokerAdapter::kMemory;
  else if (name == "redis")
    *out = BrokerAdapter::kRedis;
  else if (name == "nats")
    *out = BrokerAdapter::kNats;
  else
    return false;
  return true;
}

struct ServerConfig {
  // Transport
  std::string host = "localhost";
  int port = 8080;
  std::vector<std::string> paths = {"/cable"};
  std::string health_path = "/health";
  std::vector<std::string> allowed_origins;  // empty = no check
  int max_conn = 0;                          // 0 = unlimited
  std::string ssl_cert, ssl_key;
  size_t max_message_size = 65536;
  int read_header_timeout_ms = 5000;
  int workers = 0;  // 0 = number of cores
  // Server-Sent Events on the main port (spec §11.1).
  bool sse = false;
  std::string sse_path = "/events";
  // Durable Streams read API on the main port (spec §11.3).
  bool ds = false;
  std::string ds_path = "/ds";
  bool ds_skip_auth = false;  // authorize streams only
  int ds_poll_interval_s = 10;
  int ds_sse_ttl_s = 60;

  // Protocol
  int ping_interval_s = 3;
  PingPrecision ping_timestamp_precision = PingPrecision::kSeconds;
  int pong_timeout_s = 0;
  // WebSocket ping frames along with the JSON pings; their pongs count as
  // liveness, and --pong_timeout then applies to every client.
  bool enable_native_pings = false;
  // permessage-deflate for clients that offer it (off by default, as in
  // anycable-go: it costs CPU on every worker for bandwidth).
  bool enable_ws_compression = false;
  int ws_write_timeout_s = 2;
  size_t ws_max_pending_size = 1048576;  // 0 = unlimited
  // Subscriptions one connection may hold; more are rejected. anycable-go
  // has no bound; without one a client can make every broadcast on a
  // stream cost one frame per identifier it invents.
  int max_subscriptions_per_connection = 1024;  // 0 = unlimited

  // Secrets and modes
  std::string secret;
  bool noauth = false;
  bool is_public = false;

  // JWT identification (enabled when a JWT secret resolves: jwt_secret, else secret)
  std::string jwt_secret;
  std::string jwt_param = "jid";
  bool enforce_jwt = false;

  // Signed and public streams
  std::string streams_secret;  // else secret
  bool public_streams = false;
  bool streams_whisper = false;
  bool streams_presence = true;
  bool turbo_streams = false;
  std::string turbo_streams_secret;  // else streams secret
  bool cable_ready = false;
  std::string cable_ready_secret;  // else streams secret
  std::string pubsub_channel = "$pubsub";

  // RPC
  std::string rpc_host = "localhost:50051";
  std::string rpc_inline;  // non-empty: in-process `cable rpc` backend from these YAML files
  bool norpc = false;
  int rpc_concurrency = 28;
  int rpc_request_timeout_ms = 0;
  int rpc_command_timeout_ms = 3000;
  std::vector<std::string> headers = {"cookie"};
  std::vector<std::string> proxy_cookies;  // empty = all
  std::string http_rpc_secret;
  // gRPC over TLS (on with rpc_enable_tls or a root CA): the server's
  // certificate is checked against rpc_tls_root_ca (a PEM file, or PEM
  // text as anycable-go allows), else the system's CAs.
  bool rpc_enable_tls = false;
  bool rpc_tls_verify = true;
  std::string rpc_tls_root_ca;
  // Largest gRPC message received / sent; 0 = gRPC's default (4 MiB / none).
  int rpc_max_call_recv_size = 0;
  int rpc_max_call_send_size = 0;
  DisconnectMode disconnect_mode = DisconnectMode::kAuto;
  int disconnect_rate = 100;
  int disconnect_backlog_size = 4096;

  // HTTP broadcast
  std::vector<std::string> broadcast_adapters = {"http", "redis"};
  std::string broadcast_key;
  int http_broadcast_port = 0;  // 0 = auto (main port when a key exists, else 8090)
  std::string http_broadcast_path = "/_broadcast";
  size_t http_broadcast_max_body = 10 * 1024 * 1024;
  // Bytes of request bodies read at once over all connections; bodies that
  // would exceed it get 503 before they are read. 0 = unlimited.
  size_t http_broadcast_max_inflight = 64 * 1024 * 1024;

  // REST API (spec §10.6): on when public, or when a port, a secret or the
  // common secret is set.
  int api_port = 0;  // 0 = the main port
  std::string api_path = "/api";
  std::string api_secret;  // else derived from secret
  bool api_cors_headers = false;
  bool http_broadcast_cors = false;  // CORS headers and preflight on the broadcast path  // CORS
                                     // headers and preflight on publish

  // Pusher protocol (spec §11.4): on with an app id and an app key; the
  // secret defaults to --secret.
  pusher::Settings pusher;
  int pusher_api_port = 0;  // 0 = the main port

  // Redis / NATS broadcast adapters and node-to-node pub/sub
  std::string redis_url = "redis://localhost:6379";
  std::string redis_channel = "__anycable__";  // `redis` adapter
  std::string redisx_stream = "__anycable__";  // `redisx` adapter
  std::string redisx_group = "bx";             // its consumer group
  int redisx_read_block_ms = 2000;             // how long one read blocks
  // Channel (subject) of remote commands between nodes.
  std::string redis_pubsub_channel = "__anycable_internal__";
  std::string nats_pubsub_channel = "__anycable_internal__";
  // Sentinel addresses ("host:port,..."); with them, redis_url's host names
  // the master. See broadcast::AddRedisSentinels.
  std::string redis_sentinels;
  // Seconds between asking the sentinels for the other sentinels; 0 = never.
  int redis_sentinel_discovery_interval_s = 30;
  // Seconds an idle Redis connection waits before it is checked with PING.
  int redis_keepalive_interval_s = 30;
  // rediss://: the server's certificate is checked (against the CA file, or
  // the system's CAs) unless verify is off; client certificate for mutual TLS.
  bool redis_tls_verify = true;
  std::string redis_tls_ca_cert_path;
  std::string redis_tls_client_cert_path;
  std::string redis_tls_client_key_path;
  std::string nats_servers = "nats://127.0.0.1:4222";
  std::string nats_channel = "__anycable__";  // `nats` adapter
  bool nats_dont_randomize_servers = false;   // connect in the order listed
  std::string pubsub_adapter;                 // redis | nats | none; empty = auto (spec §8.3)

  // Broker: reliable streams and session restore
  BrokerAdapter broker = BrokerAdapter::kNone;
  int history_limit = 100;   // messages kept per stream
  int history_ttl_s = 300;   // seconds a message is kept
  int sessions_ttl_s = 300;  // seconds a session snapshot outlives its session; 0 = off
  int presence_ttl_s = 15;   // seconds a disconnected session stays a presence member

  // Operations
  int shutdown_timeout_s = 30;
  int shutdown_delay_s = 0;
  std::string log_level = "info";
  std::string log_format = "text";
  std::string node_id;

  // Metrics
  std::string metrics_http;                     // Prometheus path, e.g. /metrics; empty = off
  std::string metrics_host;                     // empty = host
  int metrics_port = 0;                         // 0 = the main port
  std::string metrics_tags;                     // k:v,k2:v2 -> labels
  bool metrics_log = false;                     // log the metrics every metrics_rotate_interval_s
  std::vector<std::string> metrics_log_filter;  // names the log line keeps; empty = all
  int metrics_rotate_interval_s = 15;           // also how often StatsD packets go out
  std::string statsd_host;                      // host:port (UDP); empty = off
  std::string statsd_prefix = "anycable_go.";
  std::string statsd_tags_format = "datadog";  // datadog, influxdb, graphite
  int statsd_max_packet_size = 1400;
};

}  // namespace cable::server
