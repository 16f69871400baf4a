#pragma once
// The server's shared core (anycable-go's `node`): configuration, the
// workers, the controller, the disconnect queue and metrics. Sessions reach
// everything outside themselves through it.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/broker/broker.h"
#include "server/channels/local_channels.h"
#include "server/config.h"
#include "server/controller/controller.h"
#include "server/controller/disconnect_queue.h"
#include "server/hub/broadcast.h"
#include "server/identity/identity.h"
#include "server/metrics/metrics.h"
#include "server/metrics/prometheus.h"
#include "server/pubsub/pubsub.h"
#include "server/transport/body_budget.h"
#include "server/worker.h"

namespace cable::server {

class SessionKeeper;

class Node {
 public:
  // `metrics` outlives the node (the controller counts into it too).
  Node(ServerConfig config, std::unique_ptr<Controller> controller, Metrics& metrics);
  ~Node();

  const ServerConfig& config() const { return config_; }
  Controller& controller() { return *controller_; }
  Metrics& metrics() { return metrics_; }
  const Identity& identity() const { return identity_; }
  const LocalChannels& local_channels() const { return local_channels_; }
  DisconnectQueue& disconnector() { return *disconnector_; }
  // Memory for HTTP request bodies being read, shared by every listener.
  BodyBudget& body_budget() { return body_budget_; }
  std::vector<std::unique_ptr<Worker>>& workers() { return workers_; }
  // Round-robin choice of the worker for a new connection.
  Worker& NextWorker();

  void Start();

  // Every counter and gauge, summed over the workers (any thread).
  std::vector<MetricSample> CollectMetrics();

  // Thread-safe: fans a broadcast out to this node's workers only (what the
  // pub/sub and fan-out adapters call; ingress for one node uses Publish).
  void DeliverOnThisNode(BroadcastPtr broadcast);
  // Thread-safe: disconnects every session on this node whose identifiers
  // equal `identifiers` (anycable-go stops at the first; all is what users
  // mean).
  void DisconnectOnThisNode(const std::string& identifiers, bool reconnect);

  // Entry points for ingress that reaches one node only (HTTP, Redis
  // Streams, whispers): stored by the broker when one is configured and the
  // broadcast is not transient, then to every node through the pub/sub
  // when one is configured, else straight to this node. Picking
  // DeliverOnThisNode here instead would silently skip the other nodes.
  // `done` (any thread) hears whether the broadcast went out: false when
  // the broker could not store it (the HTTP ingress answers 501).
  using PublishDone = std::function<void(bool published)>;
  void Publish(BroadcastPtr broadcast, PublishDone done = {});
  // Broadcasts a presence event to the subscribers of `stream` on every
  // node (transient, client message type `presence`); any thread.
  void PublishPresence(const std::string& stream, const PresenceEvent& event);
  void PublishRemoteDisconnect(const std::string& identifiers, bool reconnect);

  // Installs the broker (reliable streams); call before Start().
  void SetBroker(std::unique_ptr<Broker> broker);
  Broker* broker() { return broker_.get(); }
  // Whether sessions on the extended protocol are kept for restore: a
  // broker that keeps sessions and --sessions_ttl > 0.
  bool sessions_cached() const { return sessions_cached_; }

  // Installs the node-to-node pub/sub; call before Start().
  void SetPubSub(std::unique_ptr<PubSub> pubsub);
  PubSub* pubsub() { return pubsub_.get(); }
  // Called by sessions when a stream gains its first / loses its last
  // subscriber on their worker; keeps pub/sub subscriptions granular.
  void StreamActivated(const std::string& stream);
  void StreamDeactivated(const std::string& stream);

  // Graceful shutdown (spec §10.2): every session gets `server_restart` and
  // close 1001, Disconnect calls drain, in-flight RPC calls are awaited.
  // Bounded by config.shutdown_timeout_s.
  void Shutdown();
  bool shutting_down() const { return shutting_down_.load(); }

 private:
  ServerConfig config_;
  BodyBudget body_budget_{config_.http_broadcast_max_inflight};
  std::unique_ptr<Controller> controller_;
  Metrics& metrics_;
  Identity identity_;
  LocalChannels local_channels_;
  std::unique_ptr<DisconnectQueue> disconnector_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<size_t> next_worker_{0};
  std::mutex deliver_mu_;  // one broadcast into every inbox at a time
  // To every node through the pub/sub, else to this node.
  void Spread(BroadcastPtr broadcast);
  void LogStoreFailure(const Error& error);

  std::unique_ptr<Broker> broker_;
  bool sessions_cached_ = false;
  std::atomic<int64_t> last_store_failure_log_ms_{-1000000};
  std::atomic<uint64_t> store_failures_unlogged_{0};
  std::unique_ptr<SessionKeeper> session_keeper_;
  std::unique_ptr<SessionKeeper> presence_keeper_;
  std::unique_ptr<PubSub> pubsub_;
  std::mutex streams_mu_;
  std::unordered_map<std::string, int> active_streams_;  // workers with subscribers, per stream
  std::atomic<bool> shutting_down_{false};
};

}  // namespace cable::server
