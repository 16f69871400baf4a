#pragma once
// StatsD datagrams as anycable-go writes them (through smira/go-statsd), so a
// StatsD or Datadog agent that reads anycable-go reads cable unchanged: one
// metric a line, `<prefix><name>:<value>|c` for counters (the change since
// the previous flush; unchanged counters are left out) and `|g` for gauges,
// with the --metrics_tags placed as the tags format says; lines joined by
// '\n' into packets of at most the maximum packet size.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/metrics/prometheus.h"

namespace cable::server {

enum class StatsdTagFormat {
  kDatadog,   // name:1|c|#k:v,k2:v2
  kInfluxDb,  // name,k=v,k2=v2:1|c
  kGraphite,  // name;k=v;k2=v2:1|c
};

// "datadog", "influxdb" or "graphite"; false for anything else.
bool ParseStatsdTagFormat(std::string_view name, StatsdTagFormat* format);

struct StatsdFormat {
  std::string prefix = "anycable_go.";
  StatsdTagFormat tag_format = StatsdTagFormat::kDatadog;
  MetricTags tags;
  size_t max_packet_size = 1400;
};

// One metric line, without the trailing newline.
std::string StatsdLine(const StatsdFormat& format, std::string_view name, int64_t value,
                       bool counter);

// The lines for `samples` (counters as the change since `previous`, same
// order; the first flush has no previous and sends the totals), packed into
// packets. A packet holds whole lines only, so one line longer than the
// maximum goes out alone rather than cut.
std::vector<std::string> StatsdPackets(const StatsdFormat& format,
                                       const std::vector<MetricSample>& samples,
                                       const std::vector<MetricSample>& previous);

}  // namespace cable::server
