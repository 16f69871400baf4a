#include "server/metrics/prometheus.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace cable::server {

namespace {

std::string FormatValue(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    return fmt::format("{}", static_cast<int64_t>(v));
  }
  return fmt::format("{}", v);
}

// Label values escape backslash, quote and newline.
std::string EscapeLabel(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

MetricTags ParseMetricTags(std::string_view text, std::string* error) {
  MetricTags tags;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (item.empty()) continue;
    size_t colon = item.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      *error = fmt::format("expected key:value, got \"{}\"", item);
      return {};
    }
    tags.emplace_back(std::string(item.substr(0, colon)), std::string(item.substr(colon + 1)));
  }
  return tags;
}

std::string RenderPrometheus(const std::vector<MetricSample>& samples, const MetricTags& tags) {
  std::string labels;
  for (const auto& [k, v] : tags) {
    labels += fmt::format("{}{}=\"{}\"", labels.empty() ? "" : ",", k, EscapeLabel(v));
  }
  if (!labels.empty()) labels = "{" + labels + "}";
  std::string out;
  for (const auto& s : samples) {
    out += fmt::format("# HELP anycable_go_{} {}\n# TYPE anycable_go_{} {}\nanycable_go_{}{} {}\n",
                       s.name, s.help, s.name, s.counter ? "counter" : "gauge", s.name, labels,
                       FormatValue(s.value));
  }
  return out;
}

std::string RenderMetricsLog(const std::vector<MetricSample>& samples,
                             const std::vector<MetricSample>& previous,
                             const std::vector<std::string>& only) {
  std::string out;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (!only.empty() && std::find(only.begin(), only.end(), samples[i].name) == only.end()) {
      continue;
    }
    double v = samples[i].value;
    if (samples[i].counter && i < previous.size()) v -= previous[i].value;
    out += fmt::format("{}{}={}", out.empty() ? "" : " ", samples[i].name, FormatValue(v));
  }
  return out;
}

}  // namespace cable::server
