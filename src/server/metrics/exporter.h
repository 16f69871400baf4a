#pragma once
// Serves the node's metrics: Prometheus text for --metrics_http and, every
// --metrics_rotate_interval seconds on a thread of its own, the
// --metrics_log line and the --statsd_host packets (counters in both as the
// change since the previous flush, as anycable-go's writers share one
// rotation).

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "server/metrics/prometheus.h"
#include "server/metrics/statsd_format.h"
#include "server/metrics/statsd_sender.h"

namespace cable::server {

class Node;
struct ServerConfig;

class MetricsExporter {
 public:
  // Validates --metrics_tags and the StatsD settings; resolves --statsd_host.
  static Result<std::unique_ptr<MetricsExporter>> Create(Node& node, const ServerConfig& config);
  ~MetricsExporter();

  std::string Prometheus() const;
  // Starts the periodic writers that are configured (none: no thread).
  void Start(int interval_s);
  void Stop();

 private:
  MetricsExporter(Node& node, MetricTags tags) : node_(node), tags_(std::move(tags)) {}
  void Flush(std::vector<MetricSample>& previous);

  Node& node_;
  MetricTags tags_;
  bool log_ = false;
  std::vector<std::string> log_filter_;
  StatsdFormat statsd_format_;
  std::unique_ptr<StatsdSender> statsd_;  // null: StatsD off
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace cable::server
