#include "conformance/barrier.h"

#include <algorithm>

namespace cable::conformance {

Barrier::Outcome Barrier::ArriveAndWait(std::chrono::steady_clock::time_point deadline,
                                        const std::atomic<bool>& abort, int* arrived,
                                        int* expected) {
  std::unique_lock lock(mu_);
  const uint64_t gen = generation_;
  if (++arrived_ >= parties_) {
    arrived_ = 0;
    ++generation_;
    cv_.notify_all();
    return Outcome::kPassed;
  }
  while (generation_ == gen) {
    if (abort.load()) {
      --arrived_;
      return Outcome::kAborted;
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      *arrived = arrived_;
      *expected = parties_;
      --arrived_;
      return Outcome::kTimeout;
    }
    cv_.wait_until(lock, std::min(deadline, now + std::chrono::milliseconds(50)));
  }
  return Outcome::kPassed;
}

void Barrier::Leave() {
  std::lock_guard lock(mu_);
  --parties_;
  if (arrived_ > 0 && arrived_ >= parties_) {
    arrived_ = 0;
    ++generation_;
    cv_.notify_all();
  }
}

}  // namespace cable::conformance
