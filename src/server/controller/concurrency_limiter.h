#pragma once
// Caps RPC calls in flight (--rpc_concurrency, 28 by default, just below the
// Ruby server's pool of 30 so the application never answers
// ResourceExhausted under load). Calls beyond the cap wait in FIFO order;
// their number is the rpc_pending_num gauge.
//
// A waiting call whose caller has gone (its session closed meanwhile) is
// not started when its turn comes: it is told it was canceled, counted in
// rpc_canceled_total, and the slot goes to the next call. The backend never
// sees it.

#include <atomic>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "server/controller/controller.h"
#include "server/metrics/metrics.h"

namespace cable::server {

class ConcurrencyLimiter {
 public:
  // `run(false)`: the call holds a slot and must lead to exactly one
  // Release(). `run(true)`: the call was canceled while waiting; it holds
  // no slot.
  using Run = std::function<void(bool canceled)>;

  ConcurrencyLimiter(size_t limit, Metrics& metrics) : limit_(limit), metrics_(metrics) {}

  // Runs the call now if a slot is free, else when one frees up (on the
  // thread that frees it). `cancel` empty: never canceled.
  void Acquire(CancelFlag cancel, Run run) {
    {
      std::lock_guard lock(mu_);
      if (in_flight_ >= limit_) {
        waiting_.push_back({std::move(cancel), std::move(run)});
        metrics_.rpc_pending_num.store(static_cast<int64_t>(waiting_.size()));
        return;
      }
      ++in_flight_;
    }
    run(false);
  }

  void Release() {
    std::vector<Run> canceled;
    Run next;
    {
      std::lock_guard lock(mu_);
      while (!waiting_.empty()) {
        Waiting w = std::move(waiting_.front());
        waiting_.pop_front();
        if (w.cancel && w.cancel->load(std::memory_order_acquire)) {
          canceled.push_back(std::move(w.run));
          continue;
        }
        next = std::move(w.run);
        break;
      }
      if (!next) --in_flight_;
      metrics_.rpc_pending_num.store(static_cast<int64_t>(waiting_.size()));
    }
    // Outside the lock: the callbacks post to workers and may take locks.
    if (!canceled.empty()) {
      metrics_.rpc_canceled_total.fetch_add(canceled.size(), std::memory_order_relaxed);
      for (auto& run : canceled) run(true);
    }
    if (next) next(false);
  }

  // Calls holding a slot plus calls waiting for one.
  size_t in_flight() {
    std::lock_guard lock(mu_);
    return in_flight_ + waiting_.size();
  }

 private:
  struct Waiting {
    CancelFlag cancel;
    Run run;
  };

  const size_t limit_;
  Metrics& metrics_;
  std::mutex mu_;
  size_t in_flight_ = 0;
  std::deque<Waiting> waiting_;
};

}  // namespace cable::server
