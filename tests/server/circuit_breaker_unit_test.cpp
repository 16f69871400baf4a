// The HTTP RPC circuit breaker (spec §4.5) on an injected clock: when it
// trips, how long it stays open, the half-open trial and what is reported.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "server/controller/circuit_breaker.h"

namespace cable::server {
namespace {

using namespace std::chrono_literals;
using State = CircuitBreaker::State;

class CircuitBreakerTest : public ::testing::Test {
 protected:
  CircuitBreakerTest()
      : breaker_(
            CircuitBreaker::Settings{}, [this] { return now_; },
            [this](State from, State to, uint64_t refused) {
              changes_.push_back(std::string(CircuitBreaker::Name(from)) + "->" +
                                 CircuitBreaker::Name(to) + " refused=" + std::to_string(refused));
            }) {}

  // `n` calls with the given outcome; false when one was refused.
  bool Calls(int n, bool success) {
    for (int i = 0; i < n; ++i) {
      auto ticket = breaker_.Allow();
      if (!ticket) return false;
      breaker_.Done(*ticket, success);
    }
    return true;
  }

  void Trip() {
    ASSERT_TRUE(Calls(10, false));
    ASSERT_EQ(breaker_.state(), State::kOpen);
  }

  CircuitBreaker::TimePoint now_ = CircuitBreaker::TimePoint{} + 1000h;
  std::vector<std::string> changes_;
  CircuitBreaker breaker_;
};

TEST_F(CircuitBreakerTest, TripsAtTenCallsWithEightyPercentFailures) {
  ASSERT_TRUE(Calls(2, true));
  ASSERT_TRUE(Calls(7, false));
  EXPECT_EQ(breaker_.state(), State::kClosed) << "9 calls are too few to judge";
  ASSERT_TRUE(Calls(1, false));
  EXPECT_EQ(breaker_.state(), State::kOpen) << "8 of 10 failed";
  EXPECT_EQ(changes_, (std::vector<std::string>{"closed->open refused=0"}));
}

TEST_F(CircuitBreakerTest, StaysClosedBelowEightyPercent) {
  ASSERT_TRUE(Calls(3, true));
  ASSERT_TRUE(Calls(11, false));  // 11 of 14: 78 %
  EXPECT_EQ(breaker_.state(), State::kClosed);
  EXPECT_TRUE(changes_.empty());
}

TEST_F(CircuitBreakerTest, FailuresCountPerTenSecondWindow) {
  ASSERT_TRUE(Calls(9, false));
  now_ += 10s;  // a new window: the nine no longer count
  ASSERT_TRUE(Calls(9, false));
  EXPECT_EQ(breaker_.state(), State::kClosed);
  ASSERT_TRUE(Calls(1, false));
  EXPECT_EQ(breaker_.state(), State::kOpen);
}

TEST_F(CircuitBreakerTest, OpenRefusesForFiveSecondsThenTriesFiveCalls) {
  Trip();
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(breaker_.Allow().has_value()) << "fails at once";
  now_ += 4999ms;
  EXPECT_FALSE(breaker_.Allow().has_value());
  now_ += 1ms;
  // Half-open: five trial calls go through, a sixth is refused until they
  // are judged.
  std::vector<uint64_t> trials;
  for (int i = 0; i < 5; ++i) {
    auto ticket = breaker_.Allow();
    ASSERT_TRUE(ticket.has_value()) << "trial " << i;
    trials.push_back(*ticket);
  }
  EXPECT_EQ(breaker_.state(), State::kHalfOpen);
  EXPECT_FALSE(breaker_.Allow().has_value());
  for (auto t : trials) breaker_.Done(t, true);
  EXPECT_EQ(breaker_.state(), State::kClosed);
  EXPECT_TRUE(Calls(20, true));
  EXPECT_EQ(changes_,
            (std::vector<std::string>{"closed->open refused=0", "open->half-open refused=4",
                                      "half-open->closed refused=0"}))
      << "each transition is reported once, with the calls refused while open";
}

TEST_F(CircuitBreakerTest, AFailedTrialOpensItAgain) {
  Trip();
  now_ += 5s;
  ASSERT_TRUE(Calls(2, true));
  ASSERT_TRUE(Calls(1, false));
  EXPECT_EQ(breaker_.state(), State::kOpen);
  EXPECT_FALSE(breaker_.Allow().has_value());
  now_ += 5s;
  EXPECT_TRUE(Calls(5, true));
  EXPECT_EQ(breaker_.state(), State::kClosed);
}

TEST_F(CircuitBreakerTest, OutcomesOfCallsFromBeforeAChangeAreIgnored) {
  // A slow call allowed while closed ends after the breaker opened: its
  // failure must not count against the next state, nor its success close it.
  auto slow = breaker_.Allow();
  ASSERT_TRUE(slow.has_value());
  ASSERT_TRUE(Calls(9, false));  // with the slow call, 9 of 10 failed
  ASSERT_EQ(breaker_.state(), State::kOpen);
  now_ += 5s;
  ASSERT_TRUE(breaker_.Allow().has_value());  // half-open trial
  breaker_.Done(*slow, false);
  EXPECT_EQ(breaker_.state(), State::kHalfOpen);
}

}  // namespace
}  // namespace cable::server
