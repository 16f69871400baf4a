#pragma once
// `wait_all`: a reusable barrier across the clients of one scenario. A
// client that finishes (or fails) leaves it, so the others never wait for a
// client that will not come.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace cable::conformance {

class Barrier {
 public:
  explicit Barrier(int parties) : parties_(parties) {}

  enum class Outcome { kPassed, kTimeout, kAborted };
  // Waits until every remaining client arrived, `deadline` passed, or
  // `abort` was set (checked at least every 50 ms).
  Outcome ArriveAndWait(std::chrono::steady_clock::time_point deadline,
                        const std::atomic<bool>& abort, int* arrived, int* expected);
  // The caller will not arrive again.
  void Leave();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int parties_;
  int arrived_ = 0;
  uint64_t generation_ = 0;
};

}  // namespace cable::conformance
