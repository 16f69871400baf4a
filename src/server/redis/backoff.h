#pragma once
// Delays between reconnect attempts: doubling from `min` up to `max`, with
// jitter so that many nodes that lost the same server do not all come back
// in the same millisecond.

#include <algorithm>
#include <chrono>
#include <random>

namespace cable::server {

class Backoff {
 public:
  explicit Backoff(std::chrono::milliseconds min = std::chrono::milliseconds(100),
                   std::chrono::milliseconds max = std::chrono::seconds(5))
      : min_(min), max_(max), next_(min) {}

  // The delay before the next attempt; each call doubles the following one.
  std::chrono::milliseconds Next() {
    auto current = next_;
    next_ = std::min(max_, next_ * 2);
    std::uniform_int_distribution<long> jitter(0, current.count() / 4);
    return current + std::chrono::milliseconds(jitter(rng_));
  }
  void Reset() { next_ = min_; }

 private:
  std::chrono::milliseconds min_, max_, next_;
  std::minstd_rand rng_{std::random_device{}()};
};

}  // namespace cable::server
