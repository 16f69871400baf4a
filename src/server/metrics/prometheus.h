#pragma once
// The server's counters and gauges as anycable-go exports them: Prometheus
// text (`anycable_go_<name>`, --metrics_tags as labels) and the one-line
// summary --metrics_log writes.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cable::server {

struct MetricSample {
  std::string_view name;  // without the anycable_go_ prefix
  bool counter = true;    // false: gauge
  std::string_view help;
  double value = 0;
};

using MetricTags = std::vector<std::pair<std::string, std::string>>;

// "k:v,k2:v2" -> tags; an item without ':' is an Error message in `error`.
MetricTags ParseMetricTags(std::string_view text, std::string* error);

// Prometheus text exposition format, version 0.0.4.
std::string RenderPrometheus(const std::vector<MetricSample>& samples, const MetricTags& tags);

// `name=value ...`; counters as the change since `previous` (same order).
// A non-empty `only` (--metrics_log_filter) keeps the metrics it names;
// names that are no metric are ignored, as anycable-go ignores them.
std::string RenderMetricsLog(const std::vector<MetricSample>& samples,
                             const std::vector<MetricSample>& previous,
                             const std::vector<std::string>& only = {});

}  // namespace cable::server
