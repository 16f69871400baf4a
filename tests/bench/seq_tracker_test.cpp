#include "bench/seq_tracker.h"

#include <gtest/gtest.h>

namespace cable::bench {
namespace {

TEST(SeqTracker, InOrder) {
  SeqTracker t;
  for (uint64_t i = 0; i < 1000; ++i) EXPECT_TRUE(t.Receive(i));
  EXPECT_EQ(t.unique(), 1000u);
  EXPECT_EQ(t.duplicates(), 0u);
  EXPECT_EQ(t.out_of_order(), 0u);
  EXPECT_EQ(t.end(), 1000u);
}

TEST(SeqTracker, DuplicatesBelowAndInsideTheWindow) {
  SeqTracker t;
  t.Receive(0);
  t.Receive(1);
  EXPECT_FALSE(t.Receive(1));  // below the window
  t.Receive(5);
  EXPECT_FALSE(t.Receive(5));  // inside the window
  EXPECT_EQ(t.duplicates(), 2u);
  EXPECT_EQ(t.unique(), 3u);
}

TEST(SeqTracker, ReorderingIsNotLoss) {
  SeqTracker t;
  for (uint64_t i : {0, 2, 1, 4, 3, 5}) EXPECT_TRUE(t.Receive(i));
  EXPECT_EQ(t.unique(), 6u);
  EXPECT_EQ(t.out_of_order(), 2u);
  EXPECT_EQ(t.duplicates(), 0u);
}

TEST(SeqTracker, GapLeavesMissingCount) {
  SeqTracker t;
  for (uint64_t i = 0; i < 500; ++i) {
    if (i != 17) t.Receive(i);
  }
  EXPECT_EQ(t.unique(), 499u);  // the caller computes missing = expected - unique
  EXPECT_EQ(t.duplicates(), 0u);
  // Far behind the window now: counted as a duplicate (documented limit).
  EXPECT_FALSE(t.Receive(17));
}

TEST(SeqTracker, LateArrivalWithinWindowIsAccepted) {
  SeqTracker t;
  for (uint64_t i = 1; i < 100; ++i) t.Receive(i);
  EXPECT_TRUE(t.Receive(0));
  EXPECT_EQ(t.unique(), 100u);
  EXPECT_EQ(t.out_of_order(), 1u);
}

}  // namespace
}  // namespace cable::bench
