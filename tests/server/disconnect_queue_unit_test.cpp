// DisconnectQueue against a fake controller: calls leave one per 1/rate
// seconds from the queue's thread, in arrival order; a full backlog (or a
// rate of 0) issues the call on the caller's thread instead of dropping it;
// Drain issues the backlog without throttling and waits for replies, but no
// longer than its deadline; disconnect_queue_size follows the backlog.
//
// The fake can hold the queue's thread inside a call or withhold replies,
// so tests wait on the calls it records, never on a sleep.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/controller/controller.h"
#include "server/controller/disconnect_queue.h"
#include "server/metrics/metrics.h"

namespace cable::server {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class FakeController : public Controller {
 public:
  struct Call {
    std::string sid;
    std::string identifiers;
    std::thread::id thread;
    Clock::time_point at;
  };

  void Connect(const std::string&, ConnectRequest, std::function<void(ConnectReply)>) override {
    ADD_FAILURE() << "the queue only disconnects";
  }
  void Command(const std::string&, CommandRequest, std::function<void(CommandReply)>) override {
    ADD_FAILURE() << "the queue only disconnects";
  }
  void Disconnect(const std::string& sid, DisconnectRequest request,
                  std::function<void(DisconnectReply)> done) override {
    std::unique_lock lock(mu_);
    calls_.push_back({sid, request.identifiers, std::this_thread::get_id(), Clock::now()});
    cv_.notify_all();
    if (sid == hold_in_call_) cv_.wait(lock, [&] { return released_; });
    if (withhold_replies_) {
      withheld_.push_back(std::move(done));
      return;
    }
    lock.unlock();
    DisconnectReply reply;
    reply.status = RpcStatus::kSuccess;
    done(reply);
  }

  // The call for `sid` does not return until Release().
  void HoldInCall(std::string sid) { hold_in_call_ = std::move(sid); }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  // Calls return without replying until ReplyToWithheld().
  void WithholdReplies() { withhold_replies_ = true; }
  void ReplyToWithheld() {
    std::vector<std::function<void(DisconnectReply)>> replies;
    {
      std::lock_guard lock(mu_);
      replies.swap(withheld_);
      withhold_replies_ = false;
    }
    for (auto& done : replies) done(DisconnectReply{RpcStatus::kSuccess, {}});
  }

  // Waits until `n` calls arrived. The bound only turns a hang into a
  // failure; no test relies on it elapsing.
  bool WaitForCalls(size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return calls_.size() >= n; });
  }
  std::vector<Call> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<std::string> sids() {
    std::vector<std::string> out;
    for (const auto& c : calls()) out.push_back(c.sid);
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Call> calls_;
  std::string hold_in_call_;
  bool released_ = false;
  bool withhold_replies_ = false;
  std::vector<std::function<void(DisconnectReply)>> withheld_;
};

// Declared after the queue, so that it runs first when a test ends, also
// early on a failed assertion: the queue's destructor would wait forever for
// a thread parked in the fake.
struct Unpark {
  FakeController& controller;
  ~Unpark() {
    controller.Release();
    controller.ReplyToWithheld();
  }
};

DisconnectRequest Request(std::string identifiers) {
  DisconnectRequest r;
  r.identifiers = std::move(identifiers);
  r.subscriptions = {R"({"channel":"ChatChannel"})"};
  return r;
}

using Sids = std::vector<std::string>;

TEST(DisconnectQueueTest, CallsLeaveFromTheQueueThreadAtMostRatePerSecond) {
  FakeController controller;
  Metrics metrics;
  DisconnectQueue queue(controller, metrics, /*rate=*/50, /*backlog=*/100);  // one per 20 ms
  Unpark unpark{controller};
  for (const char* sid : {"a", "b", "c", "d", "e"}) queue.Enqueue(sid, Request(sid));
  ASSERT_TRUE(controller.WaitForCalls(5));

  const auto calls = controller.calls();
  EXPECT_EQ(controller.sids(), (Sids{"a", "b", "c", "d", "e"}));
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_NE(calls[i].thread, std::this_thread::get_id()) << calls[i].sid;
    EXPECT_EQ(calls[i].identifiers, calls[i].sid) << "the request travels with its sid";
    if (i > 0) {
      // The gap is measured after the fact; 2 ms of it may pass between
      // the queue's clock check and the fake's timestamp.
      EXPECT_GE(calls[i].at - calls[i - 1].at, milliseconds(18))
          << calls[i - 1].sid << " -> " << calls[i].sid;
    }
  }
}

TEST(DisconnectQueueTest, DrainIssuesTheBacklogInOrderWithoutThrottling) {
  FakeController controller;
  Metrics metrics;
  DisconnectQueue queue(controller, metrics, /*rate=*/1, /*backlog=*/100);
  Unpark unpark{controller};
  queue.Enqueue("a", Request("a"));
  ASSERT_TRUE(controller.WaitForCalls(1));  // the next call is due in a second
  for (const char* sid : {"b", "c", "d", "e", "f"}) queue.Enqueue(sid, Request(sid));

  // Throttled, the five would take five seconds; the deadline is shorter.
  queue.Drain(3000);
  EXPECT_EQ(controller.sids(), (Sids{"a", "b", "c", "d", "e", "f"}));
  EXPECT_EQ(metrics.disconnect_queue_size.load(), 0);
}

TEST(DisconnectQueueTest, BeyondTheBacklogCallsWaitInTheOverflowAndBeyondTheLimitAreDropped) {
  FakeController controller;
  controller.HoldInCall("a");  // parks the queue's thread: nothing leaves the queue
  Metrics metrics;
  DisconnectQueue queue(controller, metrics, /*rate=*/1000, /*backlog=*/2, /*limit=*/4);
  Unpark unpark{controller};
  queue.Enqueue("a", Request("a"));
  ASSERT_TRUE(controller.WaitForCalls(1));

  for (const char* sid : {"b", "c"}) queue.Enqueue(sid, Request(sid));  // the backlog
  for (const char* sid : {"d", "e"}) queue.Enqueue(sid, Request(sid));  // the overflow
  queue.Enqueue("f", Request("f"));                                     // beyond the limit
  queue.Enqueue("g", Request("g"));
  EXPECT_EQ(controller.sids(), (Sids{"a"})) << "nothing is called on the caller's thread";
  EXPECT_EQ(metrics.disconnect_queue_size.load(), 4);
  EXPECT_EQ(metrics.disconnect_dropped_total.load(), 2u);

  controller.Release();
  ASSERT_TRUE(controller.WaitForCalls(5));
  queue.Drain(10000);
  const auto calls = controller.calls();
  EXPECT_EQ(controller.sids(), (Sids{"a", "b", "c", "d", "e"}));
  for (const auto& call : calls) EXPECT_NE(call.thread, std::this_thread::get_id()) << call.sid;
  EXPECT_EQ(metrics.disconnect_queue_size.load(), 0);
}

// A burst far beyond the backlog still leaves at the rate, none lost.
TEST(DisconnectQueueTest, TheOverflowLeavesAtTheRate) {
  FakeController controller;
  Metrics metrics;
  DisconnectQueue queue(controller, metrics, /*rate=*/50, /*backlog=*/1);  // one per 20 ms
  Unpark unpark{controller};
  Sids sent;
  for (int i = 0; i < 8; ++i) {  // the default limit: 8 x the backlog
    sent.push_back("s" + std::to_string(i));
    queue.Enqueue(sent.back(), Request(sent.back()));
  }
  ASSERT_TRUE(controller.WaitForCalls(sent.size()));
  const auto calls = controller.calls();
  EXPECT_EQ(controller.sids(), sent);
  for (size_t i = 1; i < calls.size(); ++i) {
    EXPECT_GE(calls[i].at - calls[i - 1].at, milliseconds(18))
        << calls[i - 1].sid << " -> " << calls[i].sid;
  }
  EXPECT_EQ(metrics.disconnect_dropped_total.load(), 0u);
}

TEST(DisconnectQueueTest, ARateOfZeroCallsEveryDisconnectAtOnce) {
  for (int rate : {0, -5}) {
    FakeController controller;
    Metrics metrics;
    DisconnectQueue queue(controller, metrics, rate, /*backlog=*/100);
    Unpark unpark{controller};
    queue.Enqueue("a", Request("a"));
    queue.Enqueue("b", Request("b"));
    const auto calls = controller.calls();
    ASSERT_EQ(controller.sids(), (Sids{"a", "b"})) << "rate " << rate;
    EXPECT_EQ(calls[0].thread, std::this_thread::get_id());
    EXPECT_EQ(calls[1].thread, std::this_thread::get_id());
    EXPECT_EQ(metrics.disconnect_queue_size.load(), 0);
  }
}

TEST(DisconnectQueueTest, DrainWaitsForRepliesStillInFlight) {
  FakeController controller;
  controller.WithholdReplies();
  Metrics metrics;
  DisconnectQueue queue(controller, metrics, /*rate=*/1000, /*backlog=*/100);
  Unpark unpark{controller};
  queue.Enqueue("a", Request("a"));
  ASSERT_TRUE(controller.WaitForCalls(1));

  std::mutex mu;
  bool replied = false;
  std::thread replier([&] {
    std::lock_guard lock(mu);
    replied = true;
    controller.ReplyToWithheld();
  });
  queue.Drain(10000);
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(replied) << "Drain returned before the reply came";
  }
  replier.join();
}

TEST(DisconnectQueueTest, DrainGivesUpAtItsDeadline) {
  FakeController controller;
  controller.WithholdReplies();
  Metrics metrics;
  DisconnectQueue queue(controller, metrics, /*rate=*/1000, /*backlog=*/100);
  Unpark unpark{controller};
  queue.Enqueue("a", Request("a"));
  ASSERT_TRUE(controller.WaitForCalls(1));

  const auto start = Clock::now();
  queue.Drain(100);  // the reply never comes
  const auto waited = Clock::now() - start;
  EXPECT_GE(waited, milliseconds(100));
  EXPECT_LT(waited, milliseconds(5000));
}

}  // namespace
}  // namespace cable::server
