#include "server/node.h"

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdio>
#include <future>
#include <thread>

#include "common/log.h"
#include "common/ws/frame.h"
#include "server/protocol/messages.h"
#include "server/protocol/presence_messages.h"
#include "server/session/session.h"
#include "server/session/session_keeper.h"

namespace cable::server {

Node::Node(ServerConfig config, std::unique_ptr<Controller> controller, Metrics& metrics)
    : config_(std::move(config)),
      controller_(std::move(controller)),
      metrics_(metrics),
      identity_(config_),
      local_channels_(config_),
      disconnector_(std::make_unique<DisconnectQueue>(
          *controller_, metrics_, config_.disconnect_rate,
          static_cast<size_t>(std::max(1, config_.disconnect_backlog_size)))) {
  int n = config_.workers > 0 ? config_.workers
                              : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<Worker>(i));
    workers_.back()->SetWriteTimeout(std::chrono::seconds(config_.ws_write_timeout_s));
    workers_.back()->SetPongTimeout(std::chrono::seconds(config_.pong_timeout_s));
    workers_.back()->SetNativePings(config_.enable_native_pings);
  }
}

Node::~Node() {
  if (session_keeper_) session_keeper_->Stop();
  if (presence_keeper_) presence_keeper_->Stop();
  for (auto& w : workers_) w->Stop();
}

namespace {
// Resident memory of this process, from /proc/self/statm.
double ResidentBytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}
}  // namespace

std::vector<MetricSample> Node::CollectMetrics() {
  uint64_t server_msg = 0, client_msg = 0, sent = 0, rcvd = 0, streams = 0;
  for (auto& w : workers_) {
    const auto& c = w->counters();
    server_msg += c.server_msg_total.load(std::memory_order_relaxed);
    client_msg += c.client_msg_total.load(std::memory_order_relaxed);
    sent += c.data_sent_total.load(std::memory_order_relaxed);
    rcvd += c.data_rcvd_total.load(std::memory_order_relaxed);
    streams += w->hub().stream_count();
  }
  auto v = [](const auto& atomic) { return static_cast<double>(atomic.load()); };
  const Metrics& m = metrics_;
  std::vector<MetricSample> samples = {
      {"clients_num", false, "Connected and authenticated clients", v(m.clients_num)},
      {"clients_uniq_num", false,
       "The number of unique clients (with respect to connection identifiers)",
       static_cast<double>(m.uniq_identifiers.size())},
      {"sse_clients_num", false, "The number of active SSE clients", v(m.sse_clients_num)},
      {"broadcast_streams_num", false, "Streams with subscribers (summed over workers)",
       static_cast<double>(streams)},
      {"disconnect_queue_size", false, "Disconnect calls waiting", v(m.disconnect_queue_size)},
      {"rpc_pending_num", false, "RPC calls waiting for a concurrency slot", v(m.rpc_pending_num)},
      {"mem_sys_bytes", false, "Resident memory of the process", ResidentBytes()},
      {"client_msg_total", true, "Commands received from clients", static_cast<double>(client_msg)},
      {"failed_client_msg_total", true, "Client frames that were not valid commands",
       v(m.failed_client_msg_total)},
      {"server_msg_total", true, "Messages queued to clients", static_cast<double>(server_msg)},
      {"failed_server_msg_total", true, "Writes to clients that failed",
       v(m.failed_server_msg_total)},
      {"timeout_server_msg_total", true, "Writes to clients that timed out (--ws_write_timeout)",
       v(m.timeout_server_msg_total)},
      {"data_sent_total", true, "Bytes written to clients", static_cast<double>(sent)},
      {"data_rcvd_total", true, "Bytes read from clients", static_cast<double>(rcvd)},
      {"failed_auths_total", true, "Connections the RPC Connect call rejected",
       v(m.failed_auths_total)},
      {"disconnected_slow_clients_total", true, "Clients disconnected as too slow",
       v(m.disconnected_slow_clients_total)},
      {"publications_total", true,
       "Publications from non-fan-out ingress (HTTP, redisx, REST API, whispers, backend)",
       v(m.publications_total)},
      {"broadcast_msg_total", true, "Broadcasts delivered to the local hub",
       v(m.broadcast_msg_total)},
      {"failed_broadcast_msg_total", true, "Broadcasts that could not be parsed",
       v(m.failed_broadcast_msg_total)},
      {"remote_commands_total", true, "Remote commands executed", v(m.remote_commands_total)},
      {"rpc_call_total", true, "RPC calls made", v(m.rpc_call_total)},
      {"rpc_error_total", true, "RPC calls that failed", v(m.rpc_error_total)},
      {"rpc_retries_total", true, "RPC calls retried", v(m.rpc_retries_total)},
      {"rpc_timeout_total", true, "RPC calls that timed out", v(m.rpc_timeout_total)},
      {"rpc_canceled_total", true, "RPC calls canceled", v(m.rpc_canceled_total)},
      {"connect_calls_total", true, "Connections the application authenticated (Connect calls)",
       v(m.connect_calls_total)},
      {"sessions_restored_total", true, "Sessions restored from the broker without a Connect call",
       v(m.sessions_restored_total)},
      {"history_requests_total", true, "History requests answered", v(m.history_requests_total)},
      {"history_rejected_total", true, "History requests answered with reject_history",
       v(m.history_rejected_total)},
      {"broker_store_failed_total", true, "Broadcasts the broker could not store",
       v(m.broker_store_failed_total)},
      {"disconnect_dropped_total", true, "Disconnect calls dropped because too many were waiting",
       v(m.disconnect_dropped_total)},
  };
  if (config_.ds) {
    samples.insert(
        samples.end(),
        {
            {"ds_requests_total", true, "The total number of durable streams HEAD/GET requests",
             v(m.ds_requests_total)},
            {"ds_poll_requests_total", true,
             "The total number of durable streams long-poll requests", v(m.ds_poll_requests_total)},
            {"ds_sse_requests_total", true, "The total number of durable streams SSE requests",
             v(m.ds_sse_requests_total)},
            {"ds_poll_clients_num", false, "The number of active durable streams long-poll clients",
             v(m.ds_poll_clients_num)},
            {"ds_sse_clients_num", false, "The number of active durable streams SSE clients",
             v(m.ds_sse_clients_num)},
        });
  }
  // Counted when exported, as the other gauges; only a gRPC client has it.
  if (const int conns = controller_->ActiveConnections(); conns >= 0) {
    samples.push_back({"grpc_active_conn_num", false,
                       "The number of active HTTP connections used by gRPC",
                       static_cast<double>(conns)});
  }
  return samples;
}

Worker& Node::NextWorker() {
  return *workers_[next_worker_.fetch_add(1, std::memory_order_relaxed) % workers_.size()];
}

void Node::Start() {
  for (auto& w : workers_) w->Start();
  if (sessions_cached_) {
    session_keeper_ = std::make_unique<SessionKeeper>(
        *this, config_.sessions_ttl_s, [](const Session& s) { return s.restorable(); },
        [broker = broker_.get()](std::vector<std::string> sids) {
          broker->TouchSessions(std::move(sids));
        });
    session_keeper_->Start();
  }
  if (broker_ && broker_->needs_presence_touches()) {
    presence_keeper_ = std::make_unique<SessionKeeper>(
        *this, config_.presence_ttl_s, [](const Session& s) { return s.in_presence(); },
        [broker = broker_.get()](std::vector<std::string> sids) {
          broker->TouchPresence(std::move(sids));
        });
    presence_keeper_->Start();
  }
}

void Node::DeliverOnThisNode(BroadcastPtr broadcast) {
  Inc(metrics_.broadcast_msg_total);
  // A broadcast is in every worker's inbox before the next one enters any:
  // otherwise a thread preempted halfway through this loop lets a client
  // on an earlier worker see it, answer, and have the answer reach a later
  // worker first — a reply delivered before what it replies to.
  std::lock_guard lock(deliver_mu_);
  for (auto& w : workers_) w->Deliver(broadcast);
}

void Node::DisconnectOnThisNode(const std::string& identifiers, bool reconnect) {
  Inc(metrics_.remote_commands_total);
  for (auto& w : workers_) {
    Worker* worker = w.get();
    boost::asio::post(worker->context(), [worker, identifiers, reconnect] {
      std::vector<std::shared_ptr<Session>> matches;
      for (const auto& s : worker->sessions()) {
        if (s->open() && s->identifiers() == identifiers) matches.push_back(s);
      }
      for (auto& s : matches) {
        s->Disconnect(protocol::reason::kRemote, reconnect, ws::kCloseNormal, "Closed remotely");
      }
    });
  }
}

void Node::Publish(BroadcastPtr broadcast, PublishDone done) {
  Inc(metrics_.publications_total);
  if (broker_ && !broadcast->transient) {
    broker_->Store(std::move(broadcast), [this, done](Result<BroadcastPtr> stored) {
      // The publisher hears of a failure through done (HTTP: 501).
      if (stored.ok()) {
        if (!broker_->spreads()) {
          Spread(std::move(stored.value()));
        } else if (pubsub_ && !pubsub_->connected()) {
          // The broker published it, but this node's pub/sub will not
          // bring it back: its own clients get it at least.
          DeliverOnThisNode(std::move(stored.value()));
        }
      } else {
        Inc(metrics_.broker_store_failed_total);
        LogStoreFailure(stored.error());
      }
      if (done) done(stored.ok());
    });
    return;
  }
  Spread(std::move(broadcast));
  if (done) done(true);
}

// At most one line a second: a broker that refuses every message must not
// turn each publication into a log line.
void Node::LogStoreFailure(const Error& error) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t last = last_store_failure_log_ms_.load(std::memory_order_relaxed);
  const uint64_t missed = store_failures_unlogged_.fetch_add(1, std::memory_order_relaxed);
  if (now - last < 1000 ||
      !last_store_failure_log_ms_.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
    return;
  }
  store_failures_unlogged_.store(0, std::memory_order_relaxed);
  log::Warn("Broadcast not stored by the broker: {}{}", error.message,
            missed > 0 ? fmt::format(" ({} more failures not logged)", missed) : std::string());
}

void Node::Spread(BroadcastPtr broadcast) {
  if (pubsub_) {
    pubsub_->Publish(*broadcast);
  } else {
    DeliverOnThisNode(std::move(broadcast));
  }
}

void Node::PublishPresence(const std::string& stream, const PresenceEvent& event) {
  auto b = MakeBroadcast(stream, protocol::PresenceEventData(event));
  b->transient = true;
  b->type = "presence";
  Publish(std::move(b));
}

void Node::SetBroker(std::unique_ptr<Broker> broker) {
  broker_ = std::move(broker);
  if (broker_) {
    broker_->OnPresenceExpired(
        [this](const std::string& stream, PresenceEvent leave) { PublishPresence(stream, leave); });
  }
  sessions_cached_ = broker_ && broker_->keeps_sessions() && config_.sessions_ttl_s > 0;
}

void Node::PublishRemoteDisconnect(const std::string& identifiers, bool reconnect) {
  if (pubsub_) {
    pubsub_->PublishCommand(RemoteCommand{identifiers, reconnect});
  } else {
    DisconnectOnThisNode(identifiers, reconnect);
  }
}

void Node::SetPubSub(std::unique_ptr<PubSub> pubsub) {
  pubsub_ = std::move(pubsub);
}

void Node::StreamActivated(const std::string& stream) {
  if (!pubsub_) return;
  std::lock_guard lock(streams_mu_);
  if (active_streams_[stream]++ == 0) pubsub_->Subscribe(stream);
}

void Node::StreamDeactivated(const std::string& stream) {
  if (!pubsub_) return;
  std::lock_guard lock(streams_mu_);
  auto it = active_streams_.find(stream);
  if (it == active_streams_.end()) return;
  if (--it->second == 0) {
    active_streams_.erase(it);
    pubsub_->Unsubscribe(stream);
  }
}

void Node::Shutdown() {
  if (shutting_down_.exchange(true)) return;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(config_.shutdown_timeout_s);
  log::Info("Shutting down: disconnecting clients");
  std::vector<std::future<void>> done;
  for (auto& w : workers_) {
    auto promise = std::make_shared<std::promise<void>>();
    done.push_back(promise->get_future());
    Worker* worker = w.get();
    boost::asio::post(worker->context(), [worker, promise] {
      std::vector<std::shared_ptr<Session>> all(worker->sessions().begin(),
                                                worker->sessions().end());
      for (auto& s : all) {
        s->Disconnect(protocol::reason::kServerRestart, true, ws::kCloseGoingAway,
                      "Server restart");
      }
      // Durable Streams requests waiting for messages: 410 or the end of
      // their event stream.
      worker->watchers().ShutdownAll();
      promise->set_value();
    });
  }
  for (auto& f : done) f.wait_until(deadline);
  auto remaining = [&] {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<int64_t>(0, left.count()));
  };
  // Wait until every session flushed its close frame and enqueued its
  // Disconnect call, then drain those calls.
  for (auto& w : workers_) {
    while (std::chrono::steady_clock::now() < deadline) {
      auto count = std::make_shared<std::promise<size_t>>();
      auto f = count->get_future();
      Worker* worker = w.get();
      boost::asio::post(worker->context(), [worker, count] {
        count->set_value(worker->sessions().size() + worker->watchers().size());
      });
      if (f.wait_until(deadline) != std::future_status::ready || f.get() == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  disconnector_->Drain(remaining());
  controller_->Shutdown(remaining());
}

}  // namespace cable::server
