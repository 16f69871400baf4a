#include "server/controller/disconnect_queue.h"

#include <chrono>

#include "common/log.h"

namespace cable::server {

DisconnectQueue::DisconnectQueue(Controller& controller, Metrics& metrics, int rate, size_t backlog)
    : controller_(controller), metrics_(metrics), rate_(rate > 0 ? rate : 0), backlog_(backlog) {
  thread_ = std::thread([this] { Loop(); });
}

DisconnectQueue::~DisconnectQueue() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void DisconnectQueue::Enqueue(std::string sid, DisconnectRequest request) {
  std::unique_lock lock(mu_);
  if (queue_.size() >= backlog_ || rate_ == 0) {
    lock.unlock();
    Call(Item{std::move(sid), std::move(request)});
    return;
  }
  queue_.push_back(Item{std::move(sid), std::move(request)});
  metrics_.disconnect_queue_size.store(static_cast<int64_t>(queue_.size()));
  cv_.notify_one();
}

void DisconnectQueue::Call(Item item) {
  {
    std::lock_guard lock(mu_);
    ++in_flight_;
  }
  std::string sid = item.sid;
  controller_.Disconnect(item.sid, std::move(item.request), [this, sid](DisconnectReply reply) {
    if (reply.status == RpcStatus::kError) {
      log::Warn("Disconnect RPC failed: {} sid={}", reply.error, sid);
    }
    std::lock_guard lock(mu_);
    --in_flight_;
    done_cv_.notify_all();
  });
}

void DisconnectQueue::Loop() {
  using clock = std::chrono::steady_clock;
  auto next = clock::now();
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_ && queue_.empty()) return;
    if (!draining_ && rate_ > 0) {
      // Throttle: one call per 1/rate seconds.
      if (clock::now() < next) {
        cv_.wait_until(lock, next, [&] { return stop_ || draining_; });
        if (stop_ && !draining_) return;
        continue;
      }
      next = clock::now() + std::chrono::microseconds(1000000 / rate_);
    }
    Item item = std::move(queue_.front());
    queue_.pop_front();
    metrics_.disconnect_queue_size.store(static_cast<int64_t>(queue_.size()));
    lock.unlock();
    Call(std::move(item));
    lock.lock();
  }
}

void DisconnectQueue::Drain(int timeout_ms) {
  std::unique_lock lock(mu_);
  draining_ = true;
  cv_.notify_all();
  done_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                    [&] { return queue_.empty() && in_flight_ == 0; });
}

}  // namespace cable::server
