#include "server/metrics/statsd_format.h"

#include <fmt/format.h>

namespace cable::server {

namespace {

struct TagStyle {
  bool after_name;  // influxdb, graphite: tags are part of the name
  std::string_view first;
  char between;
  char key_value;
};

TagStyle StyleOf(StatsdTagFormat format) {
  switch (format) {
    case StatsdTagFormat::kInfluxDb:
      return {true, ",", ',', '='};
    case StatsdTagFormat::kGraphite:
      return {true, ";", ';', '='};
    case StatsdTagFormat::kDatadog:
      break;
  }
  return {false, "|#", ',', ':'};
}

void AppendTags(std::string& out, const MetricTags& tags, const TagStyle& style) {
  for (size_t i = 0; i < tags.size(); ++i) {
    if (i == 0) {
      out += style.first;
    } else {
      out.push_back(style.between);
    }
    out += tags[i].first;
    out.push_back(style.key_value);
    out += tags[i].second;
  }
}

}  // namespace

bool ParseStatsdTagFormat(std::string_view name, StatsdTagFormat* format) {
  if (name == "datadog") {
    *format = StatsdTagFormat::kDatadog;
  } else if (name == "influxdb") {
    *format = StatsdTagFormat::kInfluxDb;
  } else if (name == "graphite") {
    *format = StatsdTagFormat::kGraphite;
  } else {
    return false;
  }
  return true;
}

std::string StatsdLine(const StatsdFormat& format, std::string_view name, int64_t value,
                       bool counter) {
  const TagStyle style = StyleOf(format.tag_format);
  std::string line = format.prefix;
  line += name;
  if (style.after_name) AppendTags(line, format.tags, style);
  line += fmt::format(":{}|{}", value, counter ? 'c' : 'g');
  if (!style.after_name) AppendTags(line, format.tags, style);
  return line;
}

std::vector<std::string> StatsdPackets(const StatsdFormat& format,
                                       const std::vector<MetricSample>& samples,
                                       const std::vector<MetricSample>& previous) {
  std::vector<std::string> packets;
  std::string packet;
  for (size_t i = 0; i < samples.size(); ++i) {
    const MetricSample& s = samples[i];
    double value = s.value;
    if (s.counter && i < previous.size()) value -= previous[i].value;
    // As anycable-go: a counter that did not move is not sent, and a gauge
    // cannot go below zero (cable's never do).
    if (s.counter && value == 0) continue;
    if (!s.counter && value < 0) value = 0;
    std::string line = StatsdLine(format, s.name, static_cast<int64_t>(value), s.counter);
    if (!packet.empty() && packet.size() + 1 + line.size() > format.max_packet_size) {
      packets.push_back(std::move(packet));
      packet.clear();
    }
    if (!packet.empty()) packet.push_back('\n');
    packet += line;
  }
  if (!packet.empty()) packets.push_back(std::move(packet));
  return packets;
}

}  // namespace cable::server
