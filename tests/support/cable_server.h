#pragma once
// Starts the real `cable serve` binary on free loopback ports for a test and
// stops it afterwards. Readiness is awaited by probing the port, never by
// sleeping.

#include <map>
#include <string>
#include <vector>

#include "common/ws/client.h"
#include "support/process.h"

namespace cable::testing {

struct ServeOptions {
  // Extra flags, e.g. {"--headers", "cookie,x-api-token"}.
  std::vector<std::string> args;
  // In-process backend definitions (built-in name or path); empty to use
  // `--rpc_host` from args instead.
  std::string backend = "anyt";
  std::string broadcast_key;  // empty: no key, broadcasts on a separate port
  // Pass no --http_broadcast_port and let the server choose (the main port
  // when a key exists, e.g. derived from --secret in `args`).
  bool default_broadcast_port = false;
  std::map<std::string, std::string> env;
};

class CableServer {
 public:
  explicit CableServer(const ServeOptions& options = {});
  ~CableServer() = default;

  int port() const { return port_; }
  int broadcast_port() const { return broadcast_port_; }
  ChildProcess& process() { return process_; }

  // Connects a WebSocket client to `target` (default /cable).
  Result<ws::Client> Connect(const std::string& target = "/cable",
                             std::vector<std::pair<std::string, std::string>> headers = {},
                             std::vector<std::string> subprotocols = {"actioncable-v1-json"}) const;

  // POSTs `body` to /_broadcast; returns the HTTP status (0 on failure).
  int Broadcast(const std::string& body, const std::string& bearer = "") const;

 private:
  int port_ = 0;
  int broadcast_port_ = 0;
  ChildProcess process_;
};

// Posts `body` to http://127.0.0.1:port/path with optional Bearer key.
int HttpPost(int port, const std::string& path, const std::string& body,
             const std::string& bearer = "");
// GET request with an optional Bearer key; returns status and fills `body`.
int HttpGet(int port, const std::string& path, std::string* body = nullptr,
            const std::string& bearer = "");

// The Prometheus text of GET /metrics on `port` (empty on failure).
std::string ScrapeMetrics(int port);
// The value of `anycable_go_<name>` (with any labels) in Prometheus text;
// -1 when absent.
double MetricValue(const std::string& text, const std::string& name);

}  // namespace cable::testing
