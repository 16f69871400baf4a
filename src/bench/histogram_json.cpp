#include "bench/histogram_json.h"

namespace cable::bench {

namespace {

// Far above any run (10^15 samples) and far from overflowing a sum.
constexpr int64_t kMaxSamples = int64_t{1} << 50;

bool Int(const Json& j, const char* key, int64_t* out) {
  if (!j.contains(key) || !j[key].is_number_integer()) return false;
  *out = j[key].get<int64_t>();
  return true;
}

}  // namespace

Json HistogramStateJson(const Histogram& h) {
  Json j;
  j["count"] = h.count();
  j["sum_ns"] = h.sum_ns();
  j["min_ns"] = h.min_ns();
  j["max_ns"] = h.max_ns();
  Json buckets = Json::array();
  for (int i = 0; i < Histogram::kBuckets; ++i) {
    if (int64_t n = h.BucketCount(i)) buckets.push_back(Json::array({i, n}));
  }
  j["buckets"] = std::move(buckets);
  return j;
}

Json HistogramLayoutJson() {
  return Json{{"unit", "us"}, {"sub_bits", Histogram::kSubBits}, {"buckets", Histogram::kBuckets}};
}

Result<Histogram> HistogramFromStateJson(const Json& state, const std::string& where) {
  auto bad = [&](const std::string& why) { return Error{"format", where + ": " + why}; };
  if (!state.is_object()) return bad("not a histogram state object");
  int64_t count = 0, sum = 0, min = 0, max = 0;
  if (!Int(state, "count", &count) || !Int(state, "sum_ns", &sum) || !Int(state, "min_ns", &min) ||
      !Int(state, "max_ns", &max)) {
    return bad("count, sum_ns, min_ns and max_ns must be integers");
  }
  if (!state.contains("buckets") || !state["buckets"].is_array()) return bad("no buckets array");
  const Json& arr = state["buckets"];
  if (arr.size() > static_cast<size_t>(Histogram::kBuckets))
    return bad("more buckets than the layout has");
  std::vector<std::pair<int, int64_t>> buckets;
  int64_t total = 0;
  int last = -1;
  for (const auto& b : arr) {
    if (!b.is_array() || b.size() != 2 || !b[0].is_number_integer() || !b[1].is_number_integer()) {
      return bad("a bucket is not [index, count]");
    }
    const int64_t idx = b[0].get<int64_t>();
    const int64_t n = b[1].get<int64_t>();
    if (idx <= last || idx >= Histogram::kBuckets) {
      return bad("bucket indexes must ascend within 0.." + std::to_string(Histogram::kBuckets - 1));
    }
    if (n <= 0 || n > kMaxSamples - total) return bad("a bucket count is out of range");
    last = static_cast<int>(idx);
    total += n;
    buckets.emplace_back(static_cast<int>(idx), n);
  }
  if (total != count) return bad("the bucket counts do not add up to count");
  if (count > 0) {
    if (min < 0 || min > max || sum < 0) return bad("min_ns, max_ns or sum_ns is out of range");
    // The extremes must lie in the first and last non-empty buckets.
    if (Histogram::Index(min / 1000) != buckets.front().first ||
        Histogram::Index(max / 1000) != buckets.back().first) {
      return bad("min_ns and max_ns do not fall in the first and last buckets");
    }
  }
  return Histogram::Restore(buckets, sum, min, max);
}

}  // namespace cable::bench
