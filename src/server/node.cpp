#include "server/node.h"

#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "common/log.h"
#include "server/protocol/messages.h"
#include "server/session/session.h"
#include "server/transport/ws_frame.h"

namespace cable::server {

Node::Node(ServerConfig config, std::unique_ptr<Controller> controller)
    : config_(std::move(config)), identity_(config_), local_channels_(config_) {
  if (controller) SetController(std::move(controller));
  int n = config_.workers > 0 ? config_.workers
                              : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<Worker>(i));
    workers_.back()->SetWriteTimeout(std::chrono::seconds(config_.ws_write_timeout_s));
    workers_.back()->SetPongTimeout(std::chrono::seconds(config_.pong_timeout_s));
  }
}

void Node::SetController(std::unique_ptr<Controller> controller) {
  disconnector_.reset();
  controller_ = std::move(controller);
  disconnector_ = std::make_unique<DisconnectQueue>(
      *controller_, metrics_, config_.disconnect_rate,
      static_cast<size_t>(std::max(1, config_.disconnect_backlog_size)));
}

Node::~Node() {
  for (auto& w : workers_) w->Stop();
}

Worker& Node::NextWorker() {
  return *workers_[next_worker_.fetch_add(1, std::memory_order_relaxed) % workers_.size()];
}

void Node::Start() {
  for (auto& w : workers_) w->Start();
}

void Node::Broadcast(BroadcastPtr broadcast) {
  Inc(metrics_.broadcast_msg_total);
  for (auto& w : workers_) w->Deliver(broadcast);
}

void Node::RemoteDisconnect(const std::string& identifiers, bool reconnect) {
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

void Node::Publish(BroadcastPtr broadcast) {
  if (pubsub_) {
    pubsub_->Publish(*broadcast);
  } else {
    Broadcast(std::move(broadcast));
  }
}

void Node::PublishRemoteDisconnect(const std::string& identifiers, bool reconnect) {
  if (pubsub_) {
    pubsub_->PublishCommand(RemoteCommand{identifiers, reconnect});
  } else {
    RemoteDisconnect(identifiers, reconnect);
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
      boost::asio::post(worker->context(),
                        [worker, count] { count->set_value(worker->sessions().size()); });
      if (f.wait_until(deadline) != std::future_status::ready || f.get() == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  disconnector_->Drain(remaining());
  controller_->Shutdown(remaining());
}

}  // namespace cable::server
