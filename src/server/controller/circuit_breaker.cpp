#include "server/controller/circuit_breaker.h"

namespace cable::server {

CircuitBreaker::CircuitBreaker(Settings settings, Now now, OnChange on_change)
    : settings_(settings), now_(std::move(now)), on_change_(std::move(on_change)) {
  expires_ = now_() + settings_.window;
}

const char* CircuitBreaker::Name(State state) {
  switch (state) {
    case State::kClosed:
      return "closed";
    case State::kOpen:
      return "open";
    default:
      return "half-open";
  }
}

CircuitBreaker::Change CircuitBreaker::Enter(State to, TimePoint now) {
  Change change{state_, to, 0};
  if (state_ == State::kOpen) change.refused = refused_;
  state_ = to;
  ++generation_;
  requests_ = failures_ = successes_ = 0;
  refused_ = 0;
  expires_ = to == State::kClosed ? now + settings_.window
             : to == State::kOpen ? now + settings_.open_for
                                  : TimePoint{};
  return change;
}

std::optional<CircuitBreaker::Change> CircuitBreaker::Refresh(TimePoint now) {
  if (state_ == State::kOpen && now >= expires_) return Enter(State::kHalfOpen, now);
  if (state_ == State::kClosed && now >= expires_) {
    // A new window: earlier outcomes no longer count.
    ++generation_;
    requests_ = failures_ = successes_ = 0;
    expires_ = now + settings_.window;
  }
  return std::nullopt;
}

std::optional<uint64_t> CircuitBreaker::Allow() {
  std::optional<Change> change;
  std::optional<uint64_t> ticket;
  {
    std::lock_guard lock(mu_);
    change = Refresh(now_());
    if (state_ == State::kOpen) {
      ++refused_;
    } else if (state_ == State::kHalfOpen && requests_ >= settings_.trial_requests) {
      // Trial calls are out; the rest wait for their verdict by failing.
    } else {
      ++requests_;
      ticket = generation_;
    }
  }
  Report(change);
  return ticket;
}

void CircuitBreaker::Done(uint64_t ticket, bool success) {
  std::optional<Change> first, second;
  {
    std::lock_guard lock(mu_);
    const TimePoint now = now_();
    first = Refresh(now);
    if (ticket != generation_) {
      // Allowed before a state change or in an earlier window.
    } else if (success) {
      ++successes_;
      if (state_ == State::kHalfOpen && successes_ >= settings_.trial_requests) {
        second = Enter(State::kClosed, now);
      }
    } else {
      ++failures_;
      if (state_ == State::kHalfOpen) {
        second = Enter(State::kOpen, now);
      } else if (requests_ >= settings_.min_requests &&
                 failures_ * 100 >= settings_.failure_percent * requests_) {
        second = Enter(State::kOpen, now);
      }
    }
  }
  Report(first, second);
}

CircuitBreaker::State CircuitBreaker::state() {
  std::optional<Change> change;
  State state;
  {
    std::lock_guard lock(mu_);
    change = Refresh(now_());
    state = state_;
  }
  Report(change);
  return state;
}

void CircuitBreaker::Report(const std::optional<Change>& a, const std::optional<Change>& b) {
  if (!on_change_) return;
  if (a) on_change_(a->from, a->to, a->refused);
  if (b) on_change_(b->from, b->to, b->refused);
}

}  // namespace cable::server
