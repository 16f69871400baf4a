#pragma once
// The server's shared core (anycable-go's `node`): configuration, the
// workers, the controller, the disconnect queue and metrics. Sessions reach
// everything outside themselves through it.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "server/config.h"
#include "server/controller/controller.h"
#include "server/controller/disconnect_queue.h"
#include "server/hub/broadcast.h"
#include "server/metrics/metrics.h"
#include "server/worker.h"

namespace cable::server {

class Node {
 public:
  Node(ServerConfig config, std::unique_ptr<Controller> controller);
  ~Node();

  const ServerConfig& config() const { return config_; }
  Controller& controller() { return *controller_; }
  // Installs the controller when it could not exist before the node (it
  // needs the node's metrics). Call before Start().
  void SetController(std::unique_ptr<Controller> controller);
  Metrics& metrics() { return metrics_; }
  DisconnectQueue& disconnector() { return *disconnector_; }
  std::vector<std::unique_ptr<Worker>>& workers() { return workers_; }
  // Round-robin choice of the worker for a new connection.
  Worker& NextWorker();

  void Start();

  // Thread-safe: fans a broadcast out to every worker.
  void Broadcast(BroadcastPtr broadcast);
  // Thread-safe: disconnects every session whose identifiers equal
  // `identifiers` (anycable-go stops at the first; all is what users mean).
  void RemoteDisconnect(const std::string& identifiers, bool reconnect);

  // Graceful shutdown (spec §10.2): every session gets `server_restart` and
  // close 1001, Disconnect calls drain, in-flight RPC calls are awaited.
  // Bounded by config.shutdown_timeout_s.
  void Shutdown();
  bool shutting_down() const { return shutting_down_.load(); }

 private:
  ServerConfig config_;
  std::unique_ptr<Controller> controller_;
  Metrics metrics_;
  std::unique_ptr<DisconnectQueue> disconnector_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<size_t> next_worker_{0};
  std::atomic<bool> shutting_down_{false};
};

}  // namespace cable::server
