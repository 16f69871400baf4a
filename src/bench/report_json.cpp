#include <cmath>
#include <fstream>
#include <sstream>

#include "bench/report.h"

namespace cable::bench {

namespace {
// Microseconds with at most 3 decimals: ns precision is noise here and
// shorter numbers keep reports diff-friendly.
double Round3(double v) {
  return std::round(v * 1000.0) / 1000.0;
}
}  // namespace

Json PercentilesJson(const Percentiles& p) {
  Json j;
  j["count"] = p.count;
  j["min"] = Round3(p.min_us);
  j["mean"] = Round3(p.mean_us);
  j["p50"] = Round3(p.p50_us);
  j["p90"] = Round3(p.p90_us);
  j["p95"] = Round3(p.p95_us);
  j["p99"] = Round3(p.p99_us);
  j["p999"] = Round3(p.p999_us);
  j["max"] = Round3(p.max_us);
  return j;
}

Json BucketsJson(const Histogram& h) {
  Json arr = Json::array();
  for (const auto& b : h.Buckets()) arr.push_back(Json::array({b.low_us, b.high_us, b.count}));
  return arr;
}

Json TimelineJson(const TimelinePoint& p) {
  Json j;
  j["t_s"] = Round3(p.t_s);
  j["phase"] = p.phase;
  j["connected"] = p.connected;
  j["failed"] = p.failed;
  j["dropped"] = p.dropped;
  j["connects_per_s"] = Round3(p.connects_per_s);
  j["sent_per_s"] = Round3(p.sent_per_s);
  j["received_per_s"] = Round3(p.received_per_s);
  j["ready_p50_us"] = Round3(p.connect.p50_us);
  j["ready_p99_us"] = Round3(p.connect.p99_us);
  j["latency_count"] = p.message.count;
  j["latency_p50_us"] = Round3(p.message.p50_us);
  j["latency_p90_us"] = Round3(p.message.p90_us);
  j["latency_p99_us"] = Round3(p.message.p99_us);
  j["latency_max_us"] = Round3(p.message.max_us);
  j["gen_cpu_pct"] = Round3(p.gen_cpu_pct);
  j["gen_max_thread_cpu_pct"] = Round3(p.gen_max_thread_pct);
  if (p.server_cpu_pct >= 0) {
    j["server_cpu_pct"] = Round3(p.server_cpu_pct);
    j["server_rss_kb"] = p.server_rss_kb;
  } else {
    j["server_cpu_pct"] = nullptr;
    j["server_rss_kb"] = nullptr;
  }
  return j;
}

Result<Json> LoadReport(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{"io", "cannot read " + path};
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  // An HTML report carries its JSON in a script block.
  const std::string marker = "id=\"cable-bench-report\">";
  if (size_t at = text.find(marker); at != std::string::npos) {
    size_t begin = at + marker.size();
    size_t end = text.find("</script>", begin);
    std::string embedded = text.substr(begin, end == std::string::npos ? end : end - begin);
    text.clear();
    for (size_t i = 0; i < embedded.size(); ++i) {
      if (embedded.compare(i, 3, "<\\/") == 0) {
        text += "</";
        i += 2;
      } else {
        text += embedded[i];
      }
    }
  }
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Error{"format", path + " is not JSON"};
  if (!j.contains("schema") || !j["schema"].is_string() ||
      j["schema"].get<std::string>().rfind("cable-bench/", 0) != 0) {
    return Error{"format",
                 path + " is not a cable bench report (no \"schema\": \"cable-bench/1\")"};
  }
  return j;
}

}  // namespace cable::bench
