#include "server/metrics/exporter.h"

#include <fmt/format.h>

#include <chrono>

#include "common/log.h"
#include "server/config.h"
#include "server/node.h"

namespace cable::server {

namespace {

std::string DescribeTags(const MetricTags& tags) {
  std::string out;
  for (const auto& [k, v] : tags) out += fmt::format("{}{}:{}", out.empty() ? "" : ",", k, v);
  return out;
}

}  // namespace

Result<std::unique_ptr<MetricsExporter>> MetricsExporter::Create(Node& node,
                                                                 const ServerConfig& config) {
  std::string error;
  MetricTags tags = ParseMetricTags(config.metrics_tags, &error);
  if (!error.empty()) return Error{"config", "--metrics_tags: " + error};
  std::unique_ptr<MetricsExporter> exporter(new MetricsExporter(node, tags));
  exporter->log_ = config.metrics_log;
  exporter->log_filter_ = config.metrics_log_filter;
  if (!config.statsd_host.empty()) {
    StatsdFormat& f = exporter->statsd_format_;
    // anycable-go reads the tags format only when there are tags to write.
    if (!ParseStatsdTagFormat(config.statsd_tags_format, &f.tag_format) && !tags.empty()) {
      return Error{"config", "--statsd_tags_format: unknown StatsD tags format \"" +
                                 config.statsd_tags_format + "\" (datadog, influxdb or graphite)"};
    }
    if (config.statsd_max_packet_size <= 0) {
      return Error{"config", "--statsd_max_packet_size: must be positive"};
    }
    f.prefix = config.statsd_prefix;
    f.tags = std::move(tags);
    f.max_packet_size = static_cast<size_t>(config.statsd_max_packet_size);
    auto sender = StatsdSender::Create(config.statsd_host);
    if (!sender.ok()) return sender.error();
    exporter->statsd_ = std::move(sender.value());
  }
  return exporter;
}

MetricsExporter::~MetricsExporter() {
  Stop();
}

std::string MetricsExporter::Prometheus() const {
  return RenderPrometheus(node_.CollectMetrics(), tags_);
}

void MetricsExporter::Start(int interval_s) {
  if (!log_ && !statsd_) return;
  if (statsd_) {
    const auto& f = statsd_format_;
    log::Info("Send statsd metrics to {} with every {}s (prefix={}{})", node_.config().statsd_host,
              interval_s, f.prefix,
              f.tags.empty() ? std::string()
                             : fmt::format(", tags={}, style={}", DescribeTags(f.tags),
                                           node_.config().statsd_tags_format));
  }
  thread_ = std::thread([this, interval = std::chrono::seconds(interval_s)] {
    std::vector<MetricSample> previous;
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval, [this] { return stopping_; })) Flush(previous);
  });
}

void MetricsExporter::Flush(std::vector<MetricSample>& previous) {
  auto samples = node_.CollectMetrics();
  if (log_) log::Info("Metrics: {}", RenderMetricsLog(samples, previous, log_filter_));
  if (statsd_) {
    for (const auto& packet : StatsdPackets(statsd_format_, samples, previous)) {
      statsd_->Send(packet);
    }
  }
  previous = std::move(samples);
}

void MetricsExporter::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace cable::server
