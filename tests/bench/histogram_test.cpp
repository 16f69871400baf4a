#include "bench/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <vector>

#include "bench/histogram_json.h"

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

// What `cable bench merge` relies on: shards' histograms, saved in their
// reports and restored, merge into exactly the percentiles of all their
// samples recorded in one histogram.
TEST(Histogram, MergedSplitsOfSamplesGiveThePercentilesOfTheirConcatenation) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> latency(8.0, 2.0);  // ~3 ms, tail to seconds
  std::vector<int64_t> samples;
  for (int i = 0; i < 60000; ++i) samples.push_back(static_cast<int64_t>(latency(rng) * 1000));
  Histogram all;
  for (int64_t v : samples) all.Record(v);

  for (int shards : {2, 3, 7, 64}) {
    for (bool round_robin : {true, false}) {
      // Round robin, or by a random shard per sample (uneven sizes; with 64
      // shards some get few samples).
      std::uniform_int_distribution<int> pick(0, shards - 1);
      std::vector<Histogram> parts(static_cast<size_t>(shards));
      for (size_t i = 0; i < samples.size(); ++i) {
        const int s = round_robin ? static_cast<int>(i % static_cast<size_t>(shards)) : pick(rng);
        parts[static_cast<size_t>(s)].Record(samples[i]);
      }
      Histogram merged;
      for (const auto& part : parts) {
        auto restored =
            HistogramFromStateJson(Json::parse(HistogramStateJson(part).dump()), "part");
        ASSERT_TRUE(restored.ok()) << restored.error().message;
        merged.Merge(*restored);
      }
      SCOPED_TRACE(testing::Message() << shards << " shards, round robin " << round_robin);
      ASSERT_EQ(merged.count(), all.count());
      for (double q : {0.0, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 0.9999, 1.0}) {
        EXPECT_EQ(merged.ValueAtQuantile(q), all.ValueAtQuantile(q)) << "q=" << q;
      }
      EXPECT_EQ(merged.min_ns(), all.min_ns());
      EXPECT_EQ(merged.max_ns(), all.max_ns());
      EXPECT_EQ(merged.sum_ns(), all.sum_ns());
      Percentiles a = Summarize(merged), b = Summarize(all);
      EXPECT_EQ(a.p50_us, b.p50_us);
      EXPECT_EQ(a.p999_us, b.p999_us);
      EXPECT_EQ(a.mean_us, b.mean_us);
      EXPECT_EQ(HistogramStateJson(merged), HistogramStateJson(all));
    }
  }
}

TEST(Histogram, SavedStatesThatDoNotAddUpAreRefused) {
  Histogram h;
  for (int i = 1; i <= 100; ++i) h.Record(i * 37'000);
  const Json good = HistogramStateJson(h);
  ASSERT_TRUE(HistogramFromStateJson(good, "h").ok());
  auto refused = [&](const char* why, const std::function<void(Json&)>& spoil) {
    Json bad = good;
    spoil(bad);
    auto r = HistogramFromStateJson(bad, "h");
    EXPECT_FALSE(r.ok()) << why;
  };
  refused("count", [](Json& j) { j["count"] = 99; });
  refused("index past the layout", [](Json& j) { j["buckets"].push_back(Json::array({5000, 1})); });
  refused("descending", [](Json& j) { std::swap(j["buckets"][0], j["buckets"][1]); });
  refused("negative count", [](Json& j) { j["buckets"][0][1] = -1; });
  refused("min above max", [](Json& j) { j["min_ns"] = j["max_ns"].get<int64_t>() + 1; });
  refused("max outside the last bucket", [](Json& j) { j["max_ns"] = 1; });
  refused("not integers", [](Json& j) { j["sum_ns"] = "many"; });
  refused("bucket shape", [](Json& j) { j["buckets"][0] = Json::array({1}); });
  refused("not an object", [](Json& j) { j = Json::array(); });
  EXPECT_EQ(HistogramFromStateJson(HistogramStateJson(Histogram()), "empty")->count(), 0);
}

}  // namespace
}  // namespace cable::bench
