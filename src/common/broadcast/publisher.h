#pragma once
// Publishing broadcasts to an AnyCable deployment, the way a backend does:
// HTTP POST /_broadcast, the REST API's POST /api/publish, Redis PUBLISH,
// Redis Streams XADD, or NATS publish; or to a Rails Action Cable server
// through its Redis subscription adapter (actioncable-redis).
// Shared by `cable broadcast`, the `cable rpc` backend (actions that
// broadcast), `cable bench` and `cable conformance`.
//
// A Publisher is used from one thread at a time; it connects lazily and
// reconnects on the next call after a failure.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/broadcast/redis_url.h"
#include "common/result.h"

namespace cable::broadcast {

// One publication (spec: `{"stream":..,"data":..,"meta":{..}}`). `data` is
// the already JSON-encoded payload string that clients receive as `message`.
struct Publication {
  std::string stream;
  std::string data;
  std::optional<std::string> exclude_socket;  // meta.exclude_socket: sid to skip
  bool transient = false;                     // meta.transient: not stored in the stream's history
};

// Remote command: disconnect every session whose identifiers string equals
// `identifiers`.
struct RemoteDisconnect {
  std::string identifiers;
  bool reconnect = false;
};

// JSON encodings exactly as AnyCable servers parse them.
std::string ToJson(const Publication& publication);
std::string ToJson(const std::vector<Publication>& batch);
std::string ToJson(const RemoteDisconnect& command);

struct PublisherConfig {
  std::string adapter = "http";  // http | api | redis | redisx | nats | actioncable-redis
  // http
  std::string http_url = "http://localhost:8090/_broadcast";
  std::string broadcast_key;  // Bearer key; empty = no Authorization header
  // api: POST <api_url>/publish with the API key (api_publisher.h)
  std::string api_url = "http://localhost:8080/api";
  std::string api_key;  // Bearer key; empty = no Authorization header
  // https:// URLs (http and api): trust this PEM (empty: system store);
  // false: any certificate.
  std::string http_tls_ca_file;
  bool http_tls_verify = true;
  // redis / redisx
  std::string redis_url = "redis://localhost:6379";
  std::string redis_channel = "__anycable__";  // PUBLISH channel (redis)
  std::string redisx_stream = "__anycable__";  // XADD stream (redisx)
  RedisTls redis_tls;                          // rediss:// URLs
  // actioncable-redis: Action Cable's `channel_prefix` (cable.yml), put in
  // front of every stream name
  std::string actioncable_channel_prefix;
  std::string redis_sentinels;  // see AddRedisSentinels
  // nats
  std::string nats_servers = "nats://127.0.0.1:4222";
  std::string nats_channel = "__anycable__";
  int timeout_ms = 5000;
};

class Publisher {
 public:
  virtual ~Publisher() = default;
  // Sends one raw publication body (single object, batch array, or command).
  virtual Status PublishRaw(const std::string& body) = 0;

  // AnyCable's adapters send these as their JSON bodies; an adapter that
  // speaks another format (Action Cable's) translates each.
  virtual Status Publish(const Publication& p) { return PublishRaw(ToJson(p)); }
  virtual Status PublishBatch(const std::vector<Publication>& batch) {
    return PublishRaw(ToJson(batch));
  }
  virtual Status Disconnect(const RemoteDisconnect& d) { return PublishRaw(ToJson(d)); }
};

// Builds a publisher for config.adapter; an Error names an unknown adapter or
// a malformed URL.
Result<std::unique_ptr<Publisher>> MakePublisher(const PublisherConfig& config);

}  // namespace cable::broadcast
