// `cable bench --compare a.json b.json`: the figures people compare between
// two runs, side by side, with the change from a to b.

#include <fmt/format.h>

#include <vector>

#include "bench/report.h"

namespace cable::bench {

namespace {

struct Metric {
  const char* label;
  std::vector<const char*> path;
  // +1: bigger is better (rates), -1: smaller is better (latency, CPU, loss).
  int better;
  // Left out when 0 in both (a figure only some scenarios have).
  bool only_if_set = false;
};

const Json* Find(const Json& root, const std::vector<const char*>& path) {
  const Json* j = &root;
  for (const char* key : path) {
    if (!j->is_object() || !j->contains(key)) return nullptr;
    j = &(*j)[key];
  }
  return j;
}

std::string Value(const Json* j) {
  if (!j || j->is_null()) return "-";
  if (j->is_number_integer()) return fmt::format("{}", j->get<int64_t>());
  if (j->is_number()) return fmt::format("{:.3f}", j->get<double>());
  if (j->is_boolean()) return j->get<bool>() ? "true" : "false";
  if (j->is_string()) return j->get<std::string>();
  return j->dump();
}

}  // namespace

std::string CompareReports(const Json& a, const Json& b, const std::string& name_a,
                           const std::string& name_b) {
  static const std::vector<Metric> kMetrics = {
      {"clients ready", {"connections", "ready"}, +1},
      {"connect failures", {"connections", "failed"}, -1},
      {"connect rate /s", {"connections", "rate_per_s"}, +1},
      {"ready p50 us", {"connections", "ready_us", "p50"}, -1},
      {"ready p99 us", {"connections", "ready_us", "p99"}, -1},
      {"published", {"messages", "published"}, +1},
      {"expected", {"messages", "expected"}, 0},
      {"received (unique)", {"messages", "unique"}, +1},
      {"missing", {"messages", "missing"}, -1},
      {"duplicates", {"messages", "duplicates"}, -1},
      {"delivered /s", {"messages", "received_per_s"}, +1},
      {"latency p50 us", {"latency_us", "p50"}, -1},
      {"latency p90 us", {"latency_us", "p90"}, -1},
      {"latency p95 us", {"latency_us", "p95"}, -1},
      {"latency p99 us", {"latency_us", "p99"}, -1},
      {"latency p99.9 us", {"latency_us", "p999"}, -1},
      {"latency max us", {"latency_us", "max"}, -1},
      {"presence join p99 us", {"presence", "join_us", "p99"}, -1, true},
      {"presence leave p99 us", {"presence", "leave_us", "p99"}, -1, true},
      {"server us/presence", {"presence", "server_cpu_us_per_action"}, -1, true},
      {"ack p50 us", {"ack_latency_us", "p50"}, -1},
      {"ack p99 us", {"ack_latency_us", "p99"}, -1},
      {"generator cpu s", {"generator", "cpu_s"}, -1},
      {"generator us/msg", {"generator", "cpu_us_per_message"}, -1},
      {"generator busiest %", {"generator", "max_thread_cpu_pct"}, -1},
      {"server cpu (msgs) s", {"server", "message_cpu_s"}, -1},
      {"server us/msg", {"server", "cpu_us_per_message"}, -1},
      {"server rss/conn B", {"server", "rss_per_connection_bytes"}, -1},
      {"server max rss KB", {"server", "max_rss_kb"}, -1},
  };
  std::string out;
  auto describe = [](const Json& r) {
    std::string s = r.value("scenario", "?");
    if (r.contains("config")) {
      const Json& c = r["config"];
      s += fmt::format(", {} clients", c.value("clients", 0));
    }
    if (r.contains("label") && !r["label"].get<std::string>().empty()) {
      s += ", " + r["label"].get<std::string>();
    }
    return s + ", " + r.value("started_at", "");
  };
  out += fmt::format("a: {} ({})\nb: {} ({})\n", name_a, describe(a), name_b, describe(b));
  if (a.value("scenario", "") != b.value("scenario", "")) {
    out += "note: the runs are of different scenarios\n";
  }
  out +=
      fmt::format("\n{:<22} {:>14} {:>14} {:>14} {:>9}\n", "metric", "a", "b", "b - a", "change");
  for (const auto& m : kMetrics) {
    const Json* va = Find(a, m.path);
    const Json* vb = Find(b, m.path);
    if ((!va || va->is_null()) && (!vb || vb->is_null())) continue;
    auto zero = [](const Json* v) { return !v || !v->is_number() || v->get<double>() == 0; };
    if (m.only_if_set && zero(va) && zero(vb)) continue;
    std::string delta = "-", change = "";
    if (va && vb && va->is_number() && vb->is_number()) {
      double x = va->get<double>(), y = vb->get<double>();
      delta = fmt::format("{:+.3f}", y - x);
      if (va->is_number_integer() && vb->is_number_integer()) {
        delta = fmt::format("{:+}", vb->get<int64_t>() - va->get<int64_t>());
      }
      if (x != 0) {
        double pct = (y - x) / std::abs(x) * 100;
        change = fmt::format("{:+.1f}%", pct);
        if (m.better != 0 && std::abs(pct) >= 5) {
          bool improved = (pct > 0) == (m.better > 0);
          change += improved ? " +" : " -";
        }
      }
    }
    out += fmt::format("{:<22} {:>14} {:>14} {:>14} {:>9}\n", m.label, Value(va), Value(vb), delta,
                       change);
  }
  out += "\n(+ better, - worse: changes of 5% or more in the direction that matters)\n";
  return out;
}

}  // namespace cable::bench
