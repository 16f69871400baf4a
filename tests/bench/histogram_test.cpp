#include "bench/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace cable::bench {
namespace {

TEST(Histogram, BucketsAreContiguousAndOrdered) {
  int64_t expected_low = 0;
  for (int i = 0; i < 3000; ++i) {
    ASSERT_EQ(Histogram::LowUs(i), expected_low) << "bucket " << i;
    ASSERT_GE(Histogram::HighUs(i), Histogram::LowUs(i));
    expected_low = Histogram::HighUs(i) + 1;
  }
  for (int64_t us : {0LL, 1LL, 255LL, 256LL, 257LL, 1000LL, 123456LL, 987654321LL}) {
    int idx = Histogram::Index(us);
    EXPECT_LE(Histogram::LowUs(idx), us);
    EXPECT_GE(Histogram::HighUs(idx), us);
  }
}

TEST(Histogram, MicrosecondResolutionAtTheLowEnd) {
  Histogram h;
  for (int us = 1; us <= 100; ++us) h.Record(us * 1000);
  Percentiles p = Summarize(h);
  EXPECT_EQ(p.count, 100);
  EXPECT_NEAR(p.p50_us, 50.999, 0.001);
  EXPECT_NEAR(p.p99_us, 99.999, 0.001);
  EXPECT_DOUBLE_EQ(p.max_us, 100.0);
  EXPECT_DOUBLE_EQ(p.min_us, 1.0);
}

TEST(Histogram, PercentilesWithinOnePercentOfExact) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(9.0, 1.5);  // around 8 ms, long tail
  std::vector<int64_t> values;
  Histogram h;
  for (int i = 0; i < 200000; ++i) {
    auto ns = static_cast<int64_t>(dist(rng) * 1000);
    values.push_back(ns);
    h.Record(ns);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.95, 0.99, 0.999}) {
    int64_t exact = values[static_cast<size_t>(q * values.size()) - 1];
    int64_t got = h.ValueAtQuantile(q);
    EXPECT_NEAR(static_cast<double>(got), static_cast<double>(exact), exact * 0.01 + 1000)
        << "q=" << q;
  }
  EXPECT_EQ(h.max_ns(), values.back());
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  Histogram a, b, all;
  for (int i = 0; i < 1000; ++i) {
    a.Record(i * 1500);
    all.Record(i * 1500);
    b.Record(i * 70000);
    all.Record(i * 70000);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  for (double q : {0.1, 0.5, 0.9, 0.99}) EXPECT_EQ(a.ValueAtQuantile(q), all.ValueAtQuantile(q));
  EXPECT_EQ(a.max_ns(), all.max_ns());
  EXPECT_EQ(a.Buckets().size(), all.Buckets().size());
  a.Reset();
  EXPECT_EQ(a.count(), 0);
  EXPECT_EQ(a.ValueAtQuantile(0.5), 0);
}

TEST(Histogram, HugeAndNegativeValuesAreClamped) {
  Histogram h;
  h.Record(-5);
  h.Record(INT64_C(1) << 62);
  EXPECT_EQ(h.count(), 2);
  EXPECT_EQ(h.min_ns(), 0);
}

}  // namespace
}  // namespace cable::bench
