// The controller's pure parts without an RPC server: the concurrency
// limiter's FIFO hand-over and its dropping of calls whose session closed,
// anycable's state merge rule and the parsing of --rpc_host targets.

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "server/controller/concurrency_limiter.h"
#include "server/controller/controller.h"
#include "server/controller/grpc_controller.h"
#include "server/metrics/metrics.h"

namespace cable::server {
namespace {

TEST(ConcurrencyLimiterTest, RunsUpToTheLimitAtOnceAndTheRestInArrivalOrder) {
  Metrics metrics;
  ConcurrencyLimiter limiter(2, metrics);
  std::vector<int> started;
  for (int i = 1; i <= 5; ++i) {
    limiter.Acquire(nullptr, [&started, i](bool canceled) {
      if (!canceled) started.push_back(i);
    });
  }
  EXPECT_EQ(started, (std::vector<int>{1, 2}));
  EXPECT_EQ(metrics.rpc_pending_num.load(), 3);
  EXPECT_EQ(limiter.in_flight(), 5u);

  limiter.Release();  // a finished call hands its slot to the oldest waiter
  EXPECT_EQ(started, (std::vector<int>{1, 2, 3}));
  limiter.Release();
  limiter.Release();
  EXPECT_EQ(started, (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(metrics.rpc_pending_num.load(), 0);

  limiter.Release();
  limiter.Release();
  EXPECT_EQ(limiter.in_flight(), 0u);
  limiter.Acquire(nullptr, [&started](bool) { started.push_back(6); });
  EXPECT_EQ(started.back(), 6) << "a free slot starts the call at once";
}

TEST(ConcurrencyLimiterTest, CallsOfClosedSessionsAreDroppedWhenTheirTurnComes) {
  Metrics metrics;
  ConcurrencyLimiter limiter(1, metrics);
  std::vector<int> started, canceled;
  auto call = [&](int i) {
    return [&started, &canceled, i](bool was_canceled) {
      (was_canceled ? canceled : started).push_back(i);
    };
  };
  auto closed_a = std::make_shared<std::atomic<bool>>(false);
  auto closed_b = std::make_shared<std::atomic<bool>>(false);
  limiter.Acquire(nullptr, call(1));
  limiter.Acquire(closed_a, call(2));
  limiter.Acquire(closed_b, call(3));
  limiter.Acquire(closed_a, call(4));
  limiter.Acquire(nullptr, call(5));
  EXPECT_EQ(metrics.rpc_pending_num.load(), 4);

  closed_a->store(true);  // session A closes while its calls wait
  limiter.Release();      // call 1 done
  EXPECT_EQ(started, (std::vector<int>{1, 3})) << "A's call 2 is skipped, B's call 3 runs";
  EXPECT_EQ(canceled, (std::vector<int>{2}));
  EXPECT_EQ(metrics.rpc_canceled_total.load(), 1u);
  EXPECT_EQ(metrics.rpc_pending_num.load(), 2);

  limiter.Release();  // call 3 done
  EXPECT_EQ(started, (std::vector<int>{1, 3, 5}));
  EXPECT_EQ(canceled, (std::vector<int>{2, 4}));
  EXPECT_EQ(metrics.rpc_canceled_total.load(), 2u);

  closed_b->store(true);
  limiter.Release();  // call 5 done; nothing waits
  EXPECT_EQ(limiter.in_flight(), 0u);
  EXPECT_EQ(metrics.rpc_pending_num.load(), 0);
  limiter.Acquire(closed_b, call(6));
  EXPECT_EQ(started.back(), 6) << "only waiting calls are dropped; a free slot runs the call";
  limiter.Release();

  // The last waiting call canceled: its slot is given back, not leaked.
  limiter.Acquire(nullptr, call(7));
  limiter.Acquire(closed_a, call(8));
  limiter.Release();
  EXPECT_EQ(limiter.in_flight(), 0u);
  limiter.Acquire(nullptr, call(9));
  EXPECT_EQ(started.back(), 9);
}

TEST(MergeStateTest, AnEmptyValueDeletesTheKeyAndOthersOverwrite) {
  StateMap state = {{"a", "1"}, {"b", "2"}};
  MergeState(state, {{"a", ""}, {"b", "3"}, {"c", "4"}, {"missing", ""}});
  EXPECT_EQ(state, (StateMap{{"b", "3"}, {"c", "4"}}));
}

TEST(GrpcTargetTest, HostsPassThroughAndListsBecomeAddressLists) {
  EXPECT_EQ(*GrpcTarget("localhost:50051"), "localhost:50051");
  EXPECT_EQ(*GrpcTarget("dns:///rpc.internal:50051"), "dns:///rpc.internal:50051");
  EXPECT_EQ(*GrpcTarget("grpc-list://10.0.0.1:50051, localhost:50052,,"),
            "ipv4:10.0.0.1:50051,127.0.0.1:50052");
  EXPECT_EQ(*GrpcTarget("grpc-list://[::1]:50051,[::1]:50051"), "ipv6:[::1]:50051");
}

TEST(GrpcTargetTest, NamesInAListAreResolvedAndBadEntriesNamed) {
  auto unknown = GrpcTarget("grpc-list://10.0.0.1:1,no-such-host.invalid:50051");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("no-such-host.invalid"), std::string::npos);
  EXPECT_FALSE(GrpcTarget("grpc-list://10.0.0.1").ok()) << "no port";
  EXPECT_FALSE(GrpcTarget("grpc-list://:50051").ok()) << "no host";
}

TEST(GrpcTargetTest, EmptyTargetsAreErrors) {
  EXPECT_FALSE(GrpcTarget("").ok());
  EXPECT_FALSE(GrpcTarget("grpc-list://").ok());
  EXPECT_FALSE(GrpcTarget("grpc-list://, ,").ok());
}

}  // namespace
}  // namespace cable::server
