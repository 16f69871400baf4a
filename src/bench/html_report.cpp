// `--report report.html`: one self-contained page per run. Everything is
// inline (CSS, SVG, and the JSON report itself in a <script
// type="application/json"> block), so the file can be mailed, archived and
// opened offline, and two pages side by side compare two runs.

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "bench/report.h"
#include "bench/svg_chart.h"
#include "common/xml_escape.h"

namespace cable::bench {

namespace {

double Num(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return 0;
  return j[key].get<double>();
}

std::string Cell(const Json& j) {
  if (j.is_null()) return "-";
  if (j.is_number_integer()) return fmt::format("{}", j.get<int64_t>());
  if (j.is_number()) return fmt::format("{:.3f}", j.get<double>());
  if (j.is_boolean()) return j.get<bool>() ? "yes" : "no";
  if (j.is_string()) return EscapeXml(j.get<std::string>());
  return EscapeXml(j.dump());
}

// r[a] (or r[a][b]) when the report has it: older reports lack newer keys.
const Json* Find(const Json& r, const char* a, const char* b = nullptr) {
  if (!r.is_object() || !r.contains(a)) return nullptr;
  const Json& j = r[a];
  if (!b) return &j;
  return j.is_object() && j.contains(b) ? &j[b] : nullptr;
}

std::string KeyValueTable(const Json& obj) {
  std::string s = "<table class=\"kv\">";
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (it.value().is_object() || it.value().is_array()) continue;
    s += fmt::format("<tr><th>{}</th><td>{}</td></tr>", EscapeXml(it.key()), Cell(it.value()));
  }
  return s + "</table>\n";
}

std::string PercentileTable(const std::vector<std::pair<std::string, const Json*>>& rows) {
  std::string s =
      "<table class=\"pct\"><tr><th>ms</th><th>count</th><th>min</th><th>mean</th><th>p50</th>"
      "<th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th></tr>";
  for (const auto& [name, p] : rows) {
    if (!p || Num(*p, "count") == 0) continue;
    s += fmt::format("<tr><th>{}</th><td>{}</td>", EscapeXml(name),
                     static_cast<int64_t>(Num(*p, "count")));
    for (const char* k : {"min", "mean", "p50", "p90", "p95", "p99", "p999", "max"}) {
      s += fmt::format("<td>{:.3f}</td>", Num(*p, k) / 1000);
    }
    s += "</tr>";
  }
  return s + "</table>\n";
}

std::string HistogramSvg(const std::string& title, const Json& buckets, const Json& pct) {
  std::vector<svg::Bar> bars;
  if (buckets.is_array()) {
    for (const auto& b : buckets) {
      // Bucket bounds in µs, drawn in ms.
      bars.push_back({std::max(b[0].get<double>(), 0.5) / 1000, (b[1].get<double>() + 1) / 1000,
                      b[2].get<double>()});
    }
  }
  std::vector<std::pair<std::string, double>> marks;
  for (const auto& [label, key] : std::vector<std::pair<const char*, const char*>>{
           {"p50", "p50"}, {"p90", "p90"}, {"p99", "p99"}, {"p99.9", "p999"}, {"max", "max"}}) {
    if (Num(pct, key) > 0) marks.emplace_back(label, Num(pct, key) / 1000);
  }
  return svg::Histogram(title, "latency (ms, log scale)", bars, marks);
}

std::vector<double> Column(const Json& timeline, const char* key, bool zero_is_missing = false) {
  std::vector<double> v;
  for (const auto& p : timeline) {
    if (!p.contains(key) || !p[key].is_number()) {
      v.push_back(std::numeric_limits<double>::quiet_NaN());
      continue;
    }
    double x = p[key].get<double>();
    v.push_back(zero_is_missing && x == 0 ? std::numeric_limits<double>::quiet_NaN() : x);
  }
  return v;
}

std::vector<double> Scaled(std::vector<double> v, double f) {
  for (double& x : v) x *= f;
  return v;
}

}  // namespace

// The document up to <body>: title and the page's style sheet.
std::string HtmlHead(const std::string& title) {
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  h += "<title>" + EscapeXml(title) + "</title>\n";
  h += R"(<style>
body{font-family:sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f6f6f6}.kv th{text-align:left}
.ok{color:#080;font-weight:bold}.fail{color:#c00;font-weight:bold}.warn{color:#a60}
.charts svg{display:block;margin:10px 0;border:1px solid #eee}
</style></head><body>
)";
  return h;
}

Status WriteHtmlReport(const Json& r, const std::string& path) {
  const std::string scenario = r.value("scenario", "?");
  const Json& timeline = r["timeline"];
  std::vector<double> t = Column(timeline, "t_s");
  std::string title = fmt::format("cable bench {} — {} clients — {}", scenario,
                                  r["config"].value("clients", 0), r.value("started_at", ""));
  std::string h;
  h += HtmlHead(title);
  h += "<h1>" + EscapeXml(title) + "</h1>\n";
  if (r.value("label", "") != "") h += "<p>" + EscapeXml(r.value("label", "")) + "</p>\n";
  if (r.value("ok", false)) {
    h += "<p class=\"ok\">OK: no loss, no duplicates, every client connected.</p>\n";
  } else {
    h += "<p class=\"fail\">FAILED</p><ul>";
    for (const auto& p : r["problems"]) h += "<li>" + EscapeXml(p.get<std::string>()) + "</li>";
    h += "</ul>\n";
  }
  for (const auto& w : r["warnings"]) {
    h += "<p class=\"warn\">warning: " + EscapeXml(w.get<std::string>()) + "</p>\n";
  }

  h += "<h2>Latency</h2>\n";
  h += PercentileTable({{scenario == "echo"       ? "echo round trip"
                         : scenario == "connect"  ? "connect to ready"
                         : scenario == "presence" ? "join/leave to seen"
                                                  : "publish to receipt",
                         &r["latency_us"]},
                        {"join to seen", Find(r, "presence", "join_us")},
                        {"leave to seen", Find(r, "presence", "leave_us")},
                        {"drop to leave seen (TTL)", Find(r, "presence", "drop_us")},
                        {"sender ack", &r["ack_latency_us"]},
                        {"tcp connect", &r["connections"]["tcp_connect_us"]},
                        {"welcome", &r["connections"]["welcome_us"]},
                        {"ready", &r["connections"]["ready_us"]},
                        {"reconnect ready", Find(r, "reconnect", "ready_us")},
                        {"reconnect recovered", Find(r, "reconnect", "recovered_us")},
                        {"history confirmed", Find(r, "reconnect", "history_us")}});
  h += "<div class=\"charts\">\n";
  h += HistogramSvg(scenario == "connect" ? "Time to ready: histogram" : "Latency histogram",
                    r["histograms"]["latency"], r["latency_us"]);
  if (Num(r["ack_latency_us"], "count") > 0) {
    h += HistogramSvg("Sender ack (broadcastResult) histogram", r["histograms"]["ack_latency"],
                      r["ack_latency_us"]);
  }
  if (scenario != "connect") {
    h += svg::LineChart("Latency percentiles over time", "seconds since start", "ms (log scale)", t,
                        {{"p50", "#2a7", Scaled(Column(timeline, "latency_p50_us", true), 1e-3)},
                         {"p90", "#27c", Scaled(Column(timeline, "latency_p90_us", true), 1e-3)},
                         {"p99", "#c72", Scaled(Column(timeline, "latency_p99_us", true), 1e-3)},
                         {"max", "#c22", Scaled(Column(timeline, "latency_max_us", true), 1e-3)}},
                        true);
  }
  h += svg::LineChart("Time to ready over time (clients finishing in each interval)",
                      "seconds since start", "ms (log scale)", t,
                      {{"p50", "#2a7", Scaled(Column(timeline, "ready_p50_us", true), 1e-3)},
                       {"p99", "#c72", Scaled(Column(timeline, "ready_p99_us", true), 1e-3)}},
                      true);
  h += svg::LineChart("Clients and rates", "seconds since start", "per second / clients", t,
                      {{"connected", "#555", Column(timeline, "connected")},
                       {"connects/s", "#27c", Column(timeline, "connects_per_s")},
                       {"sent/s", "#c72", Column(timeline, "sent_per_s")},
                       {"received/s", "#2a7", Column(timeline, "received_per_s")}});
  h += svg::LineChart(
      "CPU (% of one core)", "seconds since start", "%", t,
      {{"generator process", "#27c", Column(timeline, "gen_cpu_pct")},
       {"busiest generator thread", "#c72", Column(timeline, "gen_max_thread_cpu_pct")},
       {"server", "#c22", Column(timeline, "server_cpu_pct")}});
  if (!r["server"]["pid"].is_null()) {
    h += svg::LineChart(
        "Server RSS", "seconds since start", "MB", t,
        {{"rss", "#555", Scaled(Column(timeline, "server_rss_kb", true), 1.0 / 1024)}});
  }
  h += "</div>\n";

  if (r.contains("thresholds") && !r["thresholds"].empty()) {
    h += "<h2>Thresholds</h2>\n<table class=\"kv\"><tr><th>threshold</th><th>measured</th>"
         "<th>result</th></tr>";
    for (const auto& t : r["thresholds"]) {
      h += fmt::format("<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
                       EscapeXml(t["expression"].get<std::string>()),
                       EscapeXml(t["measured"].get<std::string>()),
                       t["ok"].get<bool>() ? "pass" : "FAIL");
    }
    h += "</table>\n";
  }
  h += "<h2>Connections</h2>\n" + KeyValueTable(r["connections"]);
  if (!r["connections"]["failures"].empty()) {
    h += "<p>Failures by reason:</p>" + KeyValueTable(r["connections"]["failures"]);
  }
  if (!r["connections"]["drops"].empty()) {
    h += "<p>Drops by reason:</p>" + KeyValueTable(r["connections"]["drops"]);
  }
  if (scenario != "connect") h += "<h2>Messages</h2>\n" + KeyValueTable(r["messages"]);
  if (const Json* p = Find(r, "positions"); p && p->value("checked", false)) {
    h += "<h2>Stream positions</h2>\n" + KeyValueTable(*p);
  }
  if (const Json* rc = Find(r, "reconnect"); rc && Num(*rc, "clients") > 0) {
    h += "<h2>Reconnect</h2>\n" + KeyValueTable(*rc);
    if (!(*rc)["failures"].empty()) {
      h += "<p>Reconnect failures by reason:</p>" + KeyValueTable((*rc)["failures"]);
    }
  }
  if (const Json* p = Find(r, "presence"); p && p->value("checked", false)) {
    h += "<h2>Presence</h2>\n" + KeyValueTable(*p);
    if (!(*p)["rejoin_failures"].empty()) {
      h += "<p>Rejoin failures by reason:</p>" + KeyValueTable((*p)["rejoin_failures"]);
    }
  }
  h += "<h2>Generator</h2>\n" + KeyValueTable(r["generator"]);
  h += "<h2>Server</h2>\n" + KeyValueTable(r["server"]);
  if (r["server"].contains("before")) {
    h += "<table class=\"kv\"><tr><th></th><th>rss KB</th><th>pss KB</th><th>cpu s</th></tr>";
    for (const char* k : {"before", "connected", "end"}) {
      const Json& s = r["server"][k];
      h += fmt::format("<tr><th>{}</th><td>{}</td><td>{}</td><td>{:.3f}</td></tr>", k,
                       static_cast<int64_t>(Num(s, "rss_kb")),
                       static_cast<int64_t>(Num(s, "pss_kb")), Num(s, "cpu_s"));
    }
    h += "</table>\n";
  }
  h += "<h2>Configuration</h2>\n" + KeyValueTable(r["config"]);
  h += "<h2>Environment</h2>\n" + KeyValueTable(r["environment"]);
  // The full report, for tools (and for --compare after extracting it).
  std::string json = r.dump();
  std::string safe;
  for (size_t i = 0; i < json.size(); ++i) {
    // "</" cannot appear inside a script element.
    if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/') {
      safe += "<\\/";
      ++i;
    } else {
      safe += json[i];
    }
  }
  h += "<script type=\"application/json\" id=\"cable-bench-report\">" + safe + "</script>\n";
  h += "</body></html>\n";

  std::ofstream out(path, std::ios::binary);
  if (!out) return Error{"io", "cannot write " + path};
  out << h;
  if (!out) return Error{"io", "error writing " + path};
  return Status::Ok();
}

}  // namespace cable::bench
