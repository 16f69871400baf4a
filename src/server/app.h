#pragma once
// `cable serve` assembled: the node, its controller, the listeners, and the
// process lifecycle (signals, graceful shutdown). The only place that knows
// how the parts fit together.

#include <memory>
#include <vector>

#include "common/result.h"
#include "server/config.h"

namespace cable::server {

class Controller;
class Node;
struct Metrics;
class Listener;
struct Routes;
class Broadcaster;
class MetricsExporter;
class MemoryReclaimer;

class App {
 public:
  // Validates the configuration and builds every part; nothing listens yet.
  static Result<std::unique_ptr<App>> Create(ServerConfig config);
  ~App();

  // Binds the ports and starts serving; an Error names what failed.
  Status Start();
  // Blocks until SIGINT/SIGTERM, then shuts down gracefully (a second signal
  // exits at once). Returns the process exit code.
  int RunUntilSignal();
  // Graceful shutdown without a signal (tests, embedding).
  void Shutdown();

  int port() const;
  int broadcast_port() const;

 private:
  App() = default;
  Result<std::unique_ptr<Controller>> MakeController();
  Status PrepareBroadcasting();
  Status StartBroadcasting();
  // Adds the REST API's routes to `routes`.
  void AddApi(Routes& routes) const;
  ServerConfig config_;
  std::unique_ptr<Metrics> counters_;  // outlives node_ and the controller
  std::unique_ptr<Node> node_;
  std::vector<std::unique_ptr<Broadcaster>> broadcasters_;  // stopped before node_ goes
  std::shared_ptr<Listener> main_listener_;
  std::shared_ptr<Listener> broadcast_listener_;
  std::unique_ptr<MetricsExporter> metrics_;
  std::shared_ptr<Listener> metrics_listener_;
  std::shared_ptr<Listener> api_listener_;
  std::shared_ptr<Listener> pusher_listener_;  // --pusher_api_port
  std::unique_ptr<MemoryReclaimer> reclaimer_;
  // SIGINT/SIGTERM, caught from the start of Start(): a signal that comes
  // while the listeners open is queued for RunUntilSignal, not fatal.
  struct Signals;
  std::unique_ptr<Signals> signals_;
  std::string broadcast_key_;
  bool api_enabled_ = false;
  std::string api_key_;
  std::string controller_summary_;
  bool node_started_ = false;
};

}  // namespace cable::server
