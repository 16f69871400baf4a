#include "server/metrics/exporter.h"

#include <chrono>

#include "common/log.h"
#include "server/config.h"
#include "server/node.h"

namespace cable::server {

Result<std::unique_ptr<MetricsExporter>> MetricsExporter::Create(Node& node,
                                                                 const ServerConfig& config) {
  std::string error;
  MetricTags tags = ParseMetricTags(config.metrics_tags, &error);
  if (!error.empty()) return Error{"config", "--metrics_tags: " + error};
  return std::unique_ptr<MetricsExporter>(new MetricsExporter(node, std::move(tags)));
}

MetricsExporter::~MetricsExporter() {
  Stop();
}

std::string MetricsExporter::Prometheus() const {
  return RenderPrometheus(node_.CollectMetrics(), tags_);
}

void MetricsExporter::StartLog(int interval_s) {
  log_thread_ = std::thread([this, interval = std::chrono::seconds(interval_s)] {
    std::vector<MetricSample> previous;
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval, [this] { return stopping_; })) {
      auto samples = node_.CollectMetrics();
      log::Info("Metrics: {}", RenderMetricsLog(samples, previous));
      previous = std::move(samples);
    }
  });
}

void MetricsExporter::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (log_thread_.joinable()) log_thread_.join();
}

}  // namespace cable::server
