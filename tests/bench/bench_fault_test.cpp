// A server that loses or duplicates a single delivery must fail the run.

#include <gtest/gtest.h>

#include "bench_support.h"
#include "fake_cable_server.h"

namespace cable::testing {
namespace {

BenchRun BenchAgainst(const FakeCableServer& fake, const std::string& publish = "http") {
  return RunBench({"broadcast", WsUrl(fake.port()), "--clients", "50", "--count", "10", "--rate",
                   "100", "--publish", publish, "--broadcast-url", BroadcastUrl(fake.port()),
                   "--settle", "0.1", "--wait", "1", "--threads", "2"});
}

TEST(BenchFault, CleanFakeServerPasses) {
  FakeCableServer fake;
  auto r = BenchAgainst(fake);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(r.report["messages"]["unique"], 500);
  EXPECT_EQ(fake.broadcasts(), 10);
}

TEST(BenchFault, OneDroppedDeliveryIsCaught) {
  FakeCableServer fake({FakeFault::kDrop, 3, 7});
  auto r = BenchAgainst(fake);
  EXPECT_EQ(r.exit_code, 1) << r.err << r.out;
  EXPECT_EQ(r.report["messages"]["missing"], 1);
  EXPECT_EQ(r.report["messages"]["duplicates"], 0);
  EXPECT_EQ(r.report["messages"]["unique"], 499);
  EXPECT_FALSE(r.report["ok"].get<bool>());
  EXPECT_NE(r.report["problems"].dump().find("never arrived"), std::string::npos);
}

TEST(BenchFault, OneDuplicatedDeliveryIsCaught) {
  FakeCableServer fake({FakeFault::kDuplicate, 5, 0});
  auto r = BenchAgainst(fake);
  EXPECT_EQ(r.exit_code, 1) << r.err << r.out;
  EXPECT_EQ(r.report["messages"]["duplicates"], 1);
  EXPECT_EQ(r.report["messages"]["missing"], 0);
  EXPECT_EQ(r.report["messages"]["received"], 501);
}

TEST(BenchFault, DropOnThePerformPathIsCaught) {
  FakeCableServer fake({FakeFault::kDrop, 0, 49});
  auto r = BenchAgainst(fake, "perform");
  EXPECT_EQ(r.exit_code, 1) << r.err << r.out;
  EXPECT_EQ(r.report["messages"]["missing"], 1);
  EXPECT_EQ(r.report["messages"]["acks"], 10);
}

}  // namespace
}  // namespace cable::testing
