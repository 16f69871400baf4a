#pragma once
// Serves the node's metrics: Prometheus text for --metrics_http and, with
// --metrics_log, a log line every --metrics_rotate_interval seconds on a
// thread of its own (counters as the change since the previous line).

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.h"
#include "server/metrics/prometheus.h"

namespace cable::server {

class Node;
struct ServerConfig;

class MetricsExporter {
 public:
  // Validates --metrics_tags.
  static Result<std::unique_ptr<MetricsExporter>> Create(Node& node, const ServerConfig& config);
  ~MetricsExporter();

  std::string Prometheus() const;
  void StartLog(int interval_s);
  void Stop();

 private:
  MetricsExporter(Node& node, MetricTags tags) : node_(node), tags_(std::move(tags)) {}

  Node& node_;
  MetricTags tags_;
  std::thread log_thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace cable::server
