#pragma once
// Everything that shapes one `cable bench` run. The CLI fills it from flags
// (src/cli/bench_command.cpp); Validate() turns flag combinations into one
// consistent plan or a usage error.

#include <cstdint>
#include <string>
#include <vector>

#include "common/broadcast/publisher.h"
#include "common/result.h"

namespace cable::bench {

enum class Scenario { kBroadcast, kEcho, kConnect, kPresence };
// How clients subscribe: an RPC channel (BenchmarkChannel by default), a
// public stream or a signed stream through the `$pubsub` channel.
enum class StreamType { kRpc, kPublic, kSigned };
// How broadcasts are published: through a server's broadcast adapter (or
// Action Cable's Redis subscription adapter), or by a subscribed client
// performing `broadcast` (the backend rebroadcasts).
enum class PublishVia { kHttp, kApi, kRedis, kRedisx, kNats, kActionCableRedis, kPerform };
// How presence churners leave and come back: an explicit `leave` and a new
// `join` on the same subscription, or an abortive drop (the server keeps the
// member for its presence TTL) and a new connection subscribing with presence.
enum class ChurnMode { kLeave, kDisconnect };

const char* ScenarioName(Scenario s);
const char* StreamTypeName(StreamType s);
const char* PublishViaName(PublishVia p);
const char* ChurnModeName(ChurnMode m);

// The server ./scripts/run starts. Its demo backend turns away connections
// without a user; `user=bench` satisfies it and other servers ignore it.
inline constexpr const char* kDefaultUrl = "ws://127.0.0.1:8080/cable?user=bench";

struct BenchOptions {
  Scenario scenario = Scenario::kBroadcast;

  // Target
  std::string url = kDefaultUrl;
  std::string host;    // from url
  int port = 0;        // from url
  std::string target;  // path and query, from url
  std::string subprotocol = "actioncable-v1-json";
  std::string origin = "http://localhost";
  std::vector<std::string> headers;      // "Name: value"
  std::vector<std::string> local_addrs;  // source addresses, used round-robin
  // wss://: TLS on every client, the server's certificate checked against
  // the host and `tls_ca_file` (PEM; empty: the system store) unless
  // `tls_insecure`. The same settings apply to an https:// broadcast URL.
  bool tls = false;
  std::string tls_ca_file;
  bool tls_insecure = false;

  // Clients and load shape
  int clients = 1000;
  int threads = 0;                // 0: one per usable CPU
  double connect_rate = 0;        // connects started per second; 0: as fast as allowed
  int connect_concurrency = 500;  // handshakes in flight at once
  double connect_timeout_s = 10;

  // Authentication
  std::string jwt_secret;  // per-client JWTs with ext {"user_id":"bench-<n>"}
  std::string jwt_param = "jid";
  std::string token;  // one token for every client (query param jwt_param)

  // Subscription
  bool subscribe = true;
  StreamType stream_type = StreamType::kRpc;
  std::string channel = "BenchmarkChannel";  // channel name or a JSON identifier
  std::string stream_prefix = "all";
  int streams = 1;
  std::string streams_secret;

  // Messages
  int payload_size = 100;    // bytes of the message JSON each client receives
  int payload_padding = -1;  // >= 0: a pad field of exactly this many bytes instead
  double rate = 0;           // messages per second (broadcasts, or echoes across all clients)
  int64_t count = 0;         // messages in total; 0 with duration: unbounded by count
  double duration_s = 0;     // publishing time; 0 with count: until count is reached
  int burst = 0;             // > 0: bursts of this many messages instead of a rate
  int bursts = 1;
  double burst_interval_s = 1;
  int concurrent = 0;   // echo: > 0 keeps this many requests in flight (closed loop)
  int warmup = 0;       // the first N messages of every stream are not measured
  double settle_s = 1;  // pause between connecting and publishing
  double wait_s = 5;    // how long to wait for outstanding deliveries
  double hold_s = 0;    // connect: keep the connections open this long (idle)

  // Reconnect (broadcast): the last `reconnect` clients drop their TCP
  // connections `reconnect_at_s` into publishing (default: halfway), stay
  // away `reconnect_pause_s`, then come back with ?sid= and ask for
  // the messages they missed (`history`).
  int reconnect = 0;
  double reconnect_at_s = -1;  // < 0: half the publishing time
  double reconnect_pause_s = 1;
  // > 0: the drops (and so the returns) are spread evenly over this long
  // instead of all at once; each client is still away reconnect_pause_s.
  double reconnect_spread_s = 0;

  // Presence: every client subscribes and joins at `rate` joins per second
  // (client n at n/rate), then the last `churn` clients leave and come back
  // (`churn_mode`) at `churn_rate` actions per second for `duration_s`, each
  // away `churn_pause_s`. `presence_ttl_s` is the server's --presence_ttl:
  // a dropped member's leave is awaited that much longer.
  int churn = 0;
  ChurnMode churn_mode = ChurnMode::kLeave;
  double churn_rate = 10;
  double churn_pause_s = 1;
  double presence_ttl_s = 15;

  PublishVia publish_via = PublishVia::kHttp;
  broadcast::PublisherConfig publisher;  // adapter endpoints
  int publish_batch = 1;                 // publications per request when behind schedule

  // Observation and output
  int server_pid = 0;
  bool json = false;
  std::string json_file;
  std::string report_html;
  bool quiet = false;
  double interval_s = 1;    // progress and timeline resolution
  double max_time_s = 900;  // hard bound on the whole run
  std::string label;        // free text carried into reports

  // Sharding (shard.h): this generator's part of a run split between
  // `shard_count` generators, and the wall-clock time (unix ns; 0: none)
  // at which the measured phase starts in every one of them.
  int shard_index = 1;
  int shard_count = 1;
  int64_t start_at_unix_ns = 0;
};

inline constexpr const char* kExtendedSubprotocol = "actioncable-v1-ext-json";

// Broadcast runs on the extended protocol check every delivery's stream
// position (offsets +1 per stream, one epoch).
bool ChecksPositions(const BenchOptions& options);

// Checks and completes options (url parts, defaults that depend on the
// scenario). The Error message is a complete sentence for the user.
Status Validate(BenchOptions& options);

}  // namespace cable::bench
