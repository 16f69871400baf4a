#pragma once
// The queue between a broker's callers (workers, ingress threads) and the
// one thread that talks to its server. Bounded: past `max` jobs, or while
// the server is unreachable ("closed"), a job is refused at once and the
// caller answers its client instead of waiting (the HTTP ingress says 501,
// a history request gets reject_history). The broker's thread waits on the
// waker for work.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include "common/log.h"
#include "server/redis/waker.h"

namespace cable::server {

// Requests waiting for a broker's server; past this they fail at once
// rather than grow memory while the server is slow.
inline constexpr size_t kMaxBrokerQueue = 65536;
// How long a broker's Start waits at most for its first connection.
inline constexpr std::chrono::seconds kBrokerFirstAttempt{6};

template <typename Job>
class JobQueue {
 public:
  enum class Refusal { kNone, kClosed, kFull };

  // `what` names the broker in the one warning logged per overflow.
  JobQueue(const char* what, size_t max) : what_(what), max_(max) {}

  // Queues `job` (moved from) or says why not, leaving it with the caller.
  Refusal Push(Job& job) {
    std::lock_guard lock(mu_);
    if (!open_) return Refusal::kClosed;
    if (jobs_.size() >= max_) {
      if (!overflow_logged_) {
        log::Warn("{}: {} requests wait for the server; refusing more until it catches up", what_,
                  max_);
        overflow_logged_ = true;
      }
      return Refusal::kFull;
    }
    jobs_.push_back(std::move(job));
    if (jobs_.size() == 1) waker_.Notify();
    return Refusal::kNone;
  }

  // Up to `max` jobs, oldest first; empty when none wait.
  std::vector<Job> Take(size_t max) {
    std::vector<Job> out;
    std::lock_guard lock(mu_);
    while (!jobs_.empty() && out.size() < max) {
      out.push_back(std::move(jobs_.front()));
      jobs_.pop_front();
    }
    if (jobs_.size() < max_ / 2) overflow_logged_ = false;
    return out;
  }

  // Opens (server reachable) or closes the queue; closing hands back every
  // waiting job for the owner to fail.
  std::deque<Job> SetOpen(bool open) {
    std::deque<Job> left;
    std::lock_guard lock(mu_);
    open_ = open;
    if (!open) left.swap(jobs_);
    return left;
  }

  Waker& waker() { return waker_; }

  // The owner's first attempt to reach its server is over (either way).
  // Start() waits for it, so a node does not take broadcasts it would
  // refuse only because it is still connecting.
  void MarkAttempted() {
    {
      std::lock_guard lock(mu_);
      attempted_ = true;
    }
    attempted_cv_.notify_all();
  }
  void WaitAttempted(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    attempted_cv_.wait_for(lock, timeout, [this] { return attempted_; });
  }

 private:
  const char* what_;
  const size_t max_;
  std::mutex mu_;
  std::deque<Job> jobs_;
  bool open_ = false;
  bool overflow_logged_ = false;
  bool attempted_ = false;
  std::condition_variable attempted_cv_;
  Waker waker_;
};

}  // namespace cable::server
