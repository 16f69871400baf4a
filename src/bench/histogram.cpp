#include "bench/histogram.h"

#include <algorithm>
#include <cmath>

namespace cable::bench {

void Histogram::Merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ns_ += other.sum_ns_;
  max_ns_ = std::max(max_ns_, other.max_ns_);
  min_ns_ = std::min(min_ns_, other.min_ns_);
}

void Histogram::Reset() {
  if (count_ == 0) return;
  counts_.fill(0);
  count_ = 0;
  sum_ns_ = 0;
  max_ns_ = 0;
  min_ns_ = INT64_MAX;
}

int64_t Histogram::ValueAtQuantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // Rank of the sample we want (1-based); q=0 asks for the minimum.
  int64_t rank =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(q * static_cast<double>(count_))));
  int64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      int64_t ns = HighUs(i) * 1000 + 999;
      return std::clamp(ns, min_ns_, max_ns_);
    }
  }
  return max_ns_;
}

std::vector<Histogram::Bucket> Histogram::Buckets() const {
  std::vector<Bucket> out;
  for (int i = 0; i < kBuckets; ++i) {
    if (counts_[i]) out.push_back({LowUs(i), HighUs(i), counts_[i]});
  }
  return out;
}

Histogram Histogram::Restore(const std::vector<std::pair<int, int64_t>>& buckets, int64_t sum_ns,
                             int64_t min_ns, int64_t max_ns) {
  Histogram h;
  for (const auto& [idx, n] : buckets) {
    h.counts_[static_cast<size_t>(idx)] += n;
    h.count_ += n;
  }
  if (h.count_ == 0) return Histogram();
  h.sum_ns_ = sum_ns;
  h.min_ns_ = min_ns;
  h.max_ns_ = max_ns;
  return h;
}

Percentiles Summarize(const Histogram& h) {
  Percentiles p;
  p.count = h.count();
  if (!p.count) return p;
  auto us = [](int64_t ns) { return static_cast<double>(ns) / 1000.0; };
  p.min_us = us(h.min_ns());
  p.mean_us = h.mean_ns() / 1000.0;
  p.p50_us = us(h.ValueAtQuantile(0.50));
  p.p90_us = us(h.ValueAtQuantile(0.90));
  p.p95_us = us(h.ValueAtQuantile(0.95));
  p.p99_us = us(h.ValueAtQuantile(0.99));
  p.p999_us = us(h.ValueAtQuantile(0.999));
  p.max_us = us(h.max_ns());
  return p;
}

}  // namespace cable::bench
