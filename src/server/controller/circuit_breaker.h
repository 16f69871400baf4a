#pragma once
// The HTTP RPC circuit breaker (spec §4.5, as anycable-go's): while the
// application is down, calls fail at once instead of each waiting for its
// connect to fail, and the application is not hammered as it comes back.
//
//   closed    calls go through; outcomes are counted in fixed windows of
//             `window`. When a window has seen >= `min_requests` calls of
//             which >= `failure_percent` % failed, the breaker opens.
//   open      calls are refused for `open_for`, then it turns half-open.
//   half-open `trial_requests` calls go through (more are refused); the
//             first failure opens it again, that many successes close it.
//
// Thread-safe. Time comes from `now` so tests drive it without sleeping;
// state changes are reported to `on_change` outside the lock, once each.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

namespace cable::server {

class CircuitBreaker {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  enum class State { kClosed, kOpen, kHalfOpen };

  struct Settings {
    int min_requests = 10;
    int failure_percent = 80;
    std::chrono::milliseconds window{10000};
    std::chrono::milliseconds open_for{5000};
    int trial_requests = 5;
  };
  // `refused`: calls refused while it was open (set when it leaves kOpen).
  using OnChange = std::function<void(State from, State to, uint64_t refused)>;
  using Now = std::function<TimePoint()>;

  explicit CircuitBreaker(Settings settings, Now now = &std::chrono::steady_clock::now,
                          OnChange on_change = {});

  // A ticket for Done() when the call may go ahead; nullopt when it must
  // fail now.
  std::optional<uint64_t> Allow();
  // The outcome of an allowed call. Outcomes of calls allowed before the
  // last state change (or window) are ignored.
  void Done(uint64_t ticket, bool success);

  State state();

  static const char* Name(State state);

 private:
  struct Change {
    State from, to;
    uint64_t refused;
  };
  // Both under mu_. Refresh moves open -> half-open and starts new windows.
  std::optional<Change> Refresh(TimePoint now);
  Change Enter(State to, TimePoint now);
  void Report(const std::optional<Change>& a, const std::optional<Change>& b = std::nullopt);

  const Settings settings_;
  const Now now_;
  const OnChange on_change_;
  std::mutex mu_;
  State state_ = State::kClosed;
  uint64_t generation_ = 0;  // bumped by every state change and window
  TimePoint expires_{};      // closed: end of the window; open: end of the pause
  int requests_ = 0;
  int failures_ = 0;
  int successes_ = 0;
  uint64_t refused_ = 0;
};

}  // namespace cable::server
