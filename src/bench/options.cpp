#include "bench/options.h"

#include <cmath>

#include "bench/resources.h"
#include "bench/shard.h"

namespace cable::bench {

const char* ScenarioName(Scenario s) {
  switch (s) {
    case Scenario::kBroadcast:
      return "broadcast";
    case Scenario::kEcho:
      return "echo";
    case Scenario::kConnect:
      return "connect";
    case Scenario::kPresence:
      return "presence";
  }
  return "?";
}

const char* StreamTypeName(StreamType s) {
  switch (s) {
    case StreamType::kRpc:
      return "rpc";
    case StreamType::kPublic:
      return "public";
    case StreamType::kSigned:
      return "signed";
  }
  return "?";
}

const char* PublishViaName(PublishVia p) {
  switch (p) {
    case PublishVia::kHttp:
      return "http";
    case PublishVia::kApi:
      return "api";
    case PublishVia::kRedis:
      return "redis";
    case PublishVia::kRedisx:
      return "redisx";
    case PublishVia::kNats:
      return "nats";
    case PublishVia::kActionCableRedis:
      return "actioncable-redis";
    case PublishVia::kPerform:
      return "perform";
  }
  return "?";
}

const char* ChurnModeName(ChurnMode m) {
  return m == ChurnMode::kDisconnect ? "disconnect" : "leave";
}

bool ChecksPositions(const BenchOptions& o) {
  return o.scenario == Scenario::kBroadcast && o.subprotocol == kExtendedSubprotocol;
}

namespace {

Status Usage(std::string message) {
  return Error{codes::kUsage, std::move(message)};
}

Status ParseUrl(BenchOptions& o) {
  std::string rest;
  int default_port = 80;
  if (o.url.rfind("ws://", 0) == 0) {
    rest = o.url.substr(5);
  } else if (o.url.rfind("http://", 0) == 0) {
    rest = o.url.substr(7);
  } else if (o.url.rfind("wss://", 0) == 0) {
    rest = o.url.substr(6);
    default_port = 443;
    o.tls = true;
  } else if (o.url.rfind("https://", 0) == 0) {
    rest = o.url.substr(8);
    default_port = 443;
    o.tls = true;
  } else {
    return Usage("--url must look like ws://host:port/path or wss://..., got '" + o.url + "'");
  }
  size_t slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash);
  o.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (o.target[0] == '?') o.target = "/" + o.target;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return Usage("--url: unterminated IPv6 address");
    o.host = authority.substr(1, close - 1);
    authority = authority.substr(close + 1);
    o.port = authority.size() > 1 && authority[0] == ':' ? std::atoi(authority.c_str() + 1)
                                                         : default_port;
  } else {
    size_t colon = authority.rfind(':');
    o.host = authority.substr(0, colon);
    o.port = colon == std::string::npos ? default_port : std::atoi(authority.c_str() + colon + 1);
  }
  if (o.host.empty()) return Usage("--url: missing host in '" + o.url + "'");
  if (o.port <= 0 || o.port > 65535) return Usage("--url: bad port in '" + o.url + "'");
  return Status::Ok();
}

// How long publishing should take as configured (0 for a single burst).
double PublishingTime(const BenchOptions& o) {
  if (o.burst > 0) return (o.bursts - 1) * o.burst_interval_s;
  double by_count = o.rate > 0 && o.count > 0 ? static_cast<double>(o.count) / o.rate : 0;
  if (o.duration_s > 0 && (by_count == 0 || o.duration_s < by_count)) return o.duration_s;
  return by_count;
}

Status ValidateReconnect(BenchOptions& o) {
  if (o.reconnect < 0) return Usage("--reconnect must not be negative");
  if (o.reconnect_pause_s < 0) return Usage("--reconnect-pause must not be negative");
  if (o.reconnect_spread_s < 0) return Usage("--reconnect-spread must not be negative");
  if (o.reconnect == 0) return Status::Ok();
  if (o.scenario != Scenario::kBroadcast) {
    return Usage("--reconnect applies to the broadcast scenario only");
  }
  if (o.subprotocol != kExtendedSubprotocol) {
    return Usage(
        "--reconnect needs --subprotocol actioncable-v1-ext-json (session restore and history "
        "are part of the extended protocol)");
  }
  if (o.reconnect > o.clients) return Usage("--reconnect must not exceed --clients");
  if (o.publish_via == PublishVia::kPerform && o.reconnect > o.clients - o.streams) {
    return Usage(
        "--publish perform needs one client per stream that stays connected: --reconnect at "
        "most --clients minus --streams");
  }
  if (o.reconnect_at_s < 0) o.reconnect_at_s = PublishingTime(o) / 2;
  return Status::Ok();
}

Status ValidatePresence(BenchOptions& o) {
  if (o.churn < 0 || o.churn_rate < 0 || o.churn_pause_s < 0 || o.presence_ttl_s < 0) {
    return Usage("--churn, --churn-rate, --churn-pause and --presence-ttl must not be negative");
  }
  if (o.scenario != Scenario::kPresence) {
    if (o.churn > 0) return Usage("--churn applies to the presence scenario only");
    return Status::Ok();
  }
  if (o.burst > 0) return Usage("--burst applies to the broadcast scenario only");
  if (o.concurrent > 0) return Usage("--concurrent applies to the echo scenario only");
  if (o.churn > o.clients) return Usage("--churn must not exceed --clients");
  if (o.churn_mode == ChurnMode::kDisconnect && o.churn > o.clients - o.streams) {
    return Usage(
        "--churn-mode disconnect needs one client per stream that stays connected: --churn at "
        "most --clients minus --streams");
  }
  if (o.churn > 0 && o.churn_rate == 0) return Usage("--churn needs a --churn-rate above 0");
  // Joins per second; 0 would mean every client at once, which a rate of
  // "as fast as possible" expresses better.
  if (o.rate == 0) o.rate = 100;
  if (o.churn > 0 && o.duration_s == 0) o.duration_s = 10;
  return Status::Ok();
}

}  // namespace

Status Validate(BenchOptions& o) {
  if (auto s = ParseUrl(o); !s.ok()) return s;
  if (o.clients < 1) return Usage("--clients must be at least 1");
  if (o.threads < 0) return Usage("--threads must not be negative");
  if (auto s = ValidateShard(o); !s.ok()) return s;
  if (o.threads == 0) o.threads = UsableCpus();
  if (o.threads > ShardClients(o)) o.threads = ShardClients(o);
  if (o.streams < 1) return Usage("--streams must be at least 1");
  if (o.streams > o.clients) return Usage("--streams must not exceed --clients");
  if (o.connect_rate < 0) return Usage("--connect-rate must not be negative");
  if (o.connect_concurrency < 1) return Usage("--connect-concurrency must be at least 1");
  if (o.connect_timeout_s <= 0) return Usage("--connect-timeout must be positive");
  if (o.payload_size < 0 || o.payload_size > 1 << 20) {
    return Usage("--payload-size must be between 0 and 1048576 bytes");
  }
  if (o.rate < 0 || o.count < 0 || o.duration_s < 0 || o.burst < 0 || o.bursts < 1 ||
      o.burst_interval_s < 0 || o.concurrent < 0 || o.warmup < 0 || o.wait_s < 0 ||
      o.settle_s < 0 || o.hold_s < 0) {
    return Usage("message rates, counts and durations must not be negative");
  }
  if (o.interval_s < 0.1) return Usage("--interval must be at least 0.1 s");
  if (o.max_time_s <= 0) return Usage("--max-time must be positive");
  if (o.publish_batch < 1) return Usage("--publish-batch must be at least 1");
  if (o.subprotocol != "actioncable-v1-json" && o.subprotocol != kExtendedSubprotocol) {
    return Usage("--subprotocol must be actioncable-v1-json or actioncable-v1-ext-json");
  }
  if (!o.jwt_secret.empty() && !o.token.empty()) {
    return Usage("--jwt-secret and --token are mutually exclusive");
  }
  if (o.stream_type == StreamType::kSigned && o.streams_secret.empty()) {
    return Usage("--stream-type signed needs --streams-secret (the server's streams secret)");
  }
  if (o.scenario != Scenario::kConnect && !o.subscribe) {
    return Usage(std::string("the ") + ScenarioName(o.scenario) +
                 " scenario needs subscribed clients; drop --no-subscribe");
  }

  switch (o.scenario) {
    case Scenario::kBroadcast:
      if (o.publish_via == PublishVia::kPerform && o.stream_type != StreamType::kRpc) {
        return Usage(
            "--publish perform needs an RPC channel with a `broadcast` action "
            "(--stream-type rpc)");
      }
      if (o.concurrent > 0) return Usage("--concurrent applies to the echo scenario only");
      if (o.burst > 0) {
        if (o.rate > 0) return Usage("--burst and --rate are mutually exclusive");
        o.count = static_cast<int64_t>(o.burst) * o.bursts;
      } else {
        if (o.rate == 0) o.rate = 10;
        if (o.count == 0 && o.duration_s == 0) o.count = 100;
      }
      break;
    case Scenario::kEcho:
      if (o.stream_type != StreamType::kRpc) {
        return Usage(
            "the echo scenario needs an RPC channel with an `echo` action "
            "(--stream-type rpc)");
      }
      if (o.burst > 0) return Usage("--burst applies to the broadcast scenario only");
      if (o.concurrent > 0 && o.rate > 0) {
        return Usage("--concurrent (closed loop) and --rate (open loop) are mutually exclusive");
      }
      if (o.concurrent == 0 && o.rate == 0) o.rate = 1000;
      if (o.count == 0 && o.duration_s == 0) o.count = 10000;
      break;
    case Scenario::kConnect:
    case Scenario::kPresence:
      break;
  }
  if (auto s = ValidateReconnect(o); !s.ok()) return s;
  if (auto s = ValidatePresence(o); !s.ok()) return s;
  if (o.scenario != Scenario::kConnect && o.rate > 0 && o.duration_s > 0 && o.count == 0) {
    double n = o.rate * o.duration_s;
    if (n > 1e9) return Usage("--rate x --duration is more than 1e9 messages");
  }
  if (o.publisher.http_url.empty()) {
    // A TLS server speaks TLS on its broadcast port too.
    o.publisher.http_url =
        std::string(o.tls ? "https://" : "http://") + o.host + ":8090/_broadcast";
  }
  if (o.publisher.api_url.empty()) {
    // anycable-go serves the REST API on its main port by default.
    o.publisher.api_url = std::string(o.tls ? "https://" : "http://") + o.host + ":" +
                          std::to_string(o.port) + "/api";
  }
  o.publisher.http_tls_ca_file = o.tls_ca_file;
  o.publisher.http_tls_verify = !o.tls_insecure;
  return Status::Ok();
}

}  // namespace cable::bench
