#include "server/controller/disconnect_queue.h"

#include <algorithm>
#include <chrono>

#include "common/log.h"

namespace cable::server {

DisconnectQueue::DisconnectQueue(Controller& controller, Metrics& metrics, int rate, size_t backlog,
                                 size_t limit)
    : controller_(controller),
      metrics_(metrics),
      rate_(rate > 0 ? rate : 0),
      backlog_(std::max<size_t>(backlog, 1)),
      limit_(std::max(limit != 0 ? limit : backlog_ * kOverflowFactor, backlog_)) {
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
  if (rate_ == 0) {
    lock.unlock();
    Call(Item{std::move(sid), std::move(request)});
    return;
  }
  if (queue_.size() >= limit_) {
    ++dropped_;
    Inc(metrics_.disconnect_dropped_total);
    ReportLocked();
    return;
  }
  if (queue_.size() >= backlog_) {
    ++overflowed_;
    ReportLocked();
  }
  queue_.push_back(Item{std::move(sid), std::move(request)});
  metrics_.disconnect_queue_size.store(static_cast<int64_t>(queue_.size()));
  cv_.notify_one();
}

void DisconnectQueue::ReportLocked() {
  const auto now = std::chrono::steady_clock::now();
  if (last_report_ != std::chrono::steady_clock::time_point{} &&
      now - last_report_ < kReportInterval) {
    return;
  }
  last_report_ = now;
  if (dropped_ > 0) {
    log::Warn(
        "Disconnect queue: {} calls dropped (more than {} waiting); the application will not "
        "hear of those sessions closing",
        dropped_, limit_);
  } else {
    log::Warn(
        "Disconnect queue: the backlog ({}) is full; {} calls wait beyond it and leave at {} per "
        "second",
        backlog_, overflowed_, rate_);
  }
  dropped_ = overflowed_ = 0;
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
