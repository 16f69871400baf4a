// `--publish api`: publications go to the REST API, by default on the
// target's own port (where anycable-go serves it).

#include <gtest/gtest.h>

#include "bench_support.h"
#include "fake_cable_server.h"

namespace cable::testing {
namespace {

TEST(BenchApi, PublishesThroughTheApiOnTheTargetsPortByDefault) {
  FakeCableServer fake;
  auto r = RunBench({"broadcast", WsUrl(fake.port()), "--clients", "20", "--count", "5", "--rate",
                     "100", "--publish", "api", "--api-key", "k", "--settle", "0.1", "--wait", "1",
                     "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(r.report["config"]["publish_via"], "api");
  EXPECT_EQ(r.report["messages"]["unique"], 100);
  EXPECT_EQ(fake.broadcasts(), 5);
}

}  // namespace
}  // namespace cable::testing
