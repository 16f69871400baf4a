#pragma once
// What a running scenario acts on: the server under test (where to connect,
// how to broadcast to it, how to restart it) and the runner's settings.

#include <string>

#include "common/broadcast/publisher.h"
#include "common/result.h"

namespace cable::conformance {

struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string path = "/cable";
  std::string query;  // from the target URL, without '?'
  // wss://: TLS, verified against `tls_ca_file` (PEM; empty: the system
  // store) unless `tls_verify` is false.
  bool tls = false;
  std::string tls_ca_file;
  bool tls_verify = true;

  std::string Url() const {
    return (tls ? "wss://" : "ws://") + host + ":" + std::to_string(port) + path;
  }
};

// The target's REST API (`http` steps, the `api` broadcast adapter). It
// speaks TLS when the endpoint does, with the endpoint's trust settings.
struct HttpApi {
  std::string url;  // base URL whose path is the API's base path, e.g. http://h:8080/api
  std::string key;  // Bearer key for `auth: api`; empty (or "none"): no header
};

struct RunSettings {
  double timeout_scale = 1.0;
  std::string jwt_secret;      // mints `token:` JWTs
  std::string streams_secret;  // signs `!signed` stream names
  std::string turbo_secret;    // signs `!signed_turbo` stream names
  std::string default_adapter = "http";
};

class Target {
 public:
  virtual ~Target() = default;
  virtual Endpoint endpoint() const = 0;
  virtual HttpApi api() const = 0;
  // Publisher settings for `adapter` (http, api, redis, redisx, nats).
  virtual broadcast::PublisherConfig Publishing(const std::string& adapter) const = 0;
  virtual bool can_restart() const = 0;
  // Stops the server under test (SIGTERM, then SIGKILL), starts it again and
  // waits until it accepts connections.
  virtual Status Restart() = 0;
};

}  // namespace cable::conformance
