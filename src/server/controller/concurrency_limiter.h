#pragma once
// Caps RPC calls in flight (--rpc_concurrency, 28 by default, just below the
// Ruby server's pool of 30 so the application never answers
// ResourceExhausted under load). Calls beyond the cap wait in FIFO order.

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

#include "server/metrics/metrics.h"

namespace cable::server {

class ConcurrencyLimiter {
 public:
  ConcurrencyLimiter(size_t limit, Metrics& metrics) : limit_(limit), metrics_(metrics) {}

  // Runs `start` now if a slot is free, else when one frees up. `start`
  // must eventually lead to exactly one Release().
  void Acquire(std::function<void()> start) {
    {
      std::lock_guard lock(mu_);
      if (in_flight_ >= limit_) {
        waiting_.push_back(std::move(start));
        metrics_.rpc_pending_num.store(static_cast<int64_t>(waiting_.size()));
        return;
      }
      ++in_flight_;
    }
    start();
  }

  void Release() {
    std::function<void()> next;
    {
      std::lock_guard lock(mu_);
      if (waiting_.empty()) {
        --in_flight_;
        return;
      }
      next = std::move(waiting_.front());
      waiting_.pop_front();
      metrics_.rpc_pending_num.store(static_cast<int64_t>(waiting_.size()));
    }
    next();
  }

  size_t in_flight() {
    std::lock_guard lock(mu_);
    return in_flight_ + waiting_.size();
  }

 private:
  const size_t limit_;
  Metrics& metrics_;
  std::mutex mu_;
  size_t in_flight_ = 0;
  std::deque<std::function<void()>> waiting_;
};

}  // namespace cable::server
