#pragma once
// A compact log-linear latency histogram in the spirit of HdrHistogram.
//
// Values are recorded in nanoseconds and bucketed at 1 µs resolution below
// 256 µs; above that every power-of-two range is split into 128 equal
// buckets, so a reported value is within 1/128 (< 0.8%) of the truth up to
// ~19 hours. Recording is an array increment (no allocation, no branch on
// the common path beyond the range check), which is what a receive path
// handling hundreds of thousands of messages a second can afford.
//
// Histograms from several threads merge exactly by adding counts, so
// percentiles are always computed over all samples, never averaged.
// Percentiles return the highest value equivalent to the bucket holding
// the requested rank (as HdrHistogram does), capped at the exact maximum.

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace cable::bench {

class Histogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr int64_t kSub = int64_t{1} << kSubBits;
  static constexpr int kBuckets = 4096;

  void Record(int64_t ns) {
    if (ns < 0) ns = 0;  // a clock never runs backwards; guards arithmetic on bad input
    int64_t us = ns / 1000;
    counts_[Index(us)]++;
    count_++;
    sum_ns_ += ns;
    if (ns > max_ns_) max_ns_ = ns;
    if (ns < min_ns_) min_ns_ = ns;
  }

  void Merge(const Histogram& other);
  void Reset();

  int64_t count() const { return count_; }
  int64_t max_ns() const { return count_ ? max_ns_ : 0; }
  int64_t min_ns() const { return count_ ? min_ns_ : 0; }
  double mean_ns() const { return count_ ? static_cast<double>(sum_ns_) / count_ : 0; }
  // Value (ns) at quantile q in [0, 1]; 0 when empty.
  int64_t ValueAtQuantile(double q) const;

  // Non-empty buckets as (lowest µs, highest µs, count), ascending.
  struct Bucket {
    int64_t low_us;
    int64_t high_us;
    int64_t count;
  };
  std::vector<Bucket> Buckets() const;

  // The exact state, for reports that are merged later (histogram_json.h).
  int64_t sum_ns() const { return sum_ns_; }
  int64_t BucketCount(int idx) const { return counts_[static_cast<size_t>(idx)]; }
  // Rebuilds a histogram from a saved state: samples per bucket index
  // (valid indexes, counts >= 0, checked by the caller) and the exact sum,
  // minimum and maximum. Merging restored histograms is exact, as merging
  // live ones is.
  static Histogram Restore(const std::vector<std::pair<int, int64_t>>& buckets, int64_t sum_ns,
                           int64_t min_ns, int64_t max_ns);

  static int Index(int64_t us) {
    if (us < 2 * kSub) return static_cast<int>(us);
    int e = 63 - __builtin_clzll(static_cast<unsigned long long>(us)) - kSubBits;
    int idx = static_cast<int>(kSub * e + (us >> e));
    return idx < kBuckets ? idx : kBuckets - 1;
  }
  static int64_t LowUs(int idx) {
    int e = idx < 2 * kSub ? 0 : static_cast<int>(idx / kSub - 1);
    return (idx - kSub * e) << e;
  }
  static int64_t HighUs(int idx) {
    int e = idx < 2 * kSub ? 0 : static_cast<int>(idx / kSub - 1);
    return LowUs(idx) + (int64_t{1} << e) - 1;
  }

 private:
  std::array<int64_t, kBuckets> counts_{};
  int64_t count_ = 0;
  int64_t sum_ns_ = 0;
  int64_t max_ns_ = 0;
  int64_t min_ns_ = INT64_MAX;
};

// The percentiles every report shows, in microseconds.
struct Percentiles {
  int64_t count = 0;
  double min_us = 0, mean_us = 0, p50_us = 0, p90_us = 0, p95_us = 0, p99_us = 0, p999_us = 0,
         max_us = 0;
};
Percentiles Summarize(const Histogram& h);

}  // namespace cable::bench
