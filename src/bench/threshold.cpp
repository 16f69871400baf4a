#include "bench/threshold.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "bench/run_record.h"
#include "bench/script/report.h"
#include "common/strings.h"
#include "common/xml_escape.h"

namespace cable::bench {

namespace {

// ---- What the report holds -------------------------------------------------

// The numeric figures a report can have, and the objects whose keys are
// reasons only known at run time (`connections.failures.refused`).
struct Layout {
  std::vector<std::string> paths;
  std::vector<std::string> maps;
};

void Collect(const Json& j, const std::string& prefix, Layout& out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string path = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_number()) {
      out.paths.push_back(path);
    } else if (it->is_object()) {
      if (it->empty()) out.maps.push_back(path);
      Collect(*it, path, out);
    }
    // Arrays (timeline, histograms, per-thread CPU) are series, not figures.
  }
}

// Built from an empty run, so it holds every key a real report has; with a
// server pid so the server's figures are known too.
const Layout& ReportLayout() {
  static const Layout layout = [] {
    BenchOptions o;
    o.server_pid = 1;
    Layout l;
    Collect(BuildRunReport(o, RunRecord{}), "", l);
    return l;
  }();
  return layout;
}

bool Known(const std::string& path) {
  const auto& p = ReportLayout().paths;
  return std::find(p.begin(), p.end(), path) != p.end();
}

bool InMap(const std::string& path) {
  for (const auto& m : ReportLayout().maps) {
    if (path.size() > m.size() + 1 && path.compare(0, m.size(), m) == 0 && path[m.size()] == '.' &&
        path.find('.', m.size() + 1) == std::string::npos) {
      return true;
    }
  }
  return false;
}

bool IsPrefix(const std::string& path) {
  for (const auto& p : ReportLayout().paths) {
    if (p.size() > path.size() && p.compare(0, path.size(), path) == 0 && p[path.size()] == '.')
      return true;
  }
  return false;
}

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string::npos ? dot : dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

std::string Join(const std::vector<std::string>& parts, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += (i ? "." : "") + parts[i];
  return s;
}

// The JSON path always works; short forms are tried after it: `connect` for
// `connections`, a segment without its `_us` (`latency.p99`), and bare
// names of the common figures (`missing`, `failed`, `p99`).
std::string Resolve(const std::string& written) {
  // Scripted runs: `steps.<name>.<figure>`; the name is the script's.
  if (written.rfind("steps.", 0) == 0) return script::ResolveStepPath(written);
  if (Known(written) || InMap(written)) return written;
  std::vector<std::string> parts = Split(written);
  if (parts[0] == "connect") parts[0] = "connections";
  std::vector<std::string> resolved;
  for (size_t i = 0; i < parts.size(); ++i) {
    resolved.push_back(parts[i]);
    const std::string here = Join(resolved, resolved.size());
    const bool last = i + 1 == parts.size();
    if (last ? (Known(here) || InMap(here)) : IsPrefix(here)) continue;
    resolved.back() = parts[i] + "_us";
    const std::string timed = Join(resolved, resolved.size());
    if (last ? Known(timed) : IsPrefix(timed)) continue;
    resolved.back() = parts[i];
  }
  std::string path = Join(resolved, resolved.size());
  if (Known(path) || InMap(path)) return path;
  if (parts.size() == 1) {
    for (const char* scope : {"messages.", "connections.", "latency_us."}) {
      if (Known(scope + written)) return scope + written;
    }
  }
  return "";
}

std::string Nearest(const std::string& written) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const auto& p : ReportLayout().paths) {
    // Compared with the path as written and with its short form, so that
    // `latency.p98` finds `latency_us.p99`'s neighbour by its short name.
    std::string short_form = p;
    for (size_t at; (at = short_form.find("_us.")) != std::string::npos;) short_form.erase(at, 3);
    size_t d = std::min(EditDistance(written, p), EditDistance(written, short_form));
    if (d < best_distance) best_distance = d, best = p;
  }
  return best;
}

// ---- Units -----------------------------------------------------------------

enum class Dimension { kCount, kTime, kPercent, kRate, kMemory };

struct MetricUnit {
  Dimension dimension = Dimension::kCount;
  double base = 1;    // seconds (time) or bytes (memory) per unit
  std::string shown;  // its unit when printed
};

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The unit is in the key's name (docs/bench.md), or in its parent's for
// the percentile objects (`latency_us.p99`; their `count` is a count).
MetricUnit UnitOf(const std::string& path) {
  std::vector<std::string> parts = Split(path);
  std::string key = parts.back();
  const bool parent_names_it =
      parts.size() > 1 && key != "count" &&
      (EndsWith(parts[parts.size() - 2], "_us") || EndsWith(parts[parts.size() - 2], "_kb"));
  if (parent_names_it) key = parts[parts.size() - 2];
  if (EndsWith(key, "_per_s")) return {Dimension::kRate, 1, "/s"};
  if (EndsWith(key, "_us")) return {Dimension::kTime, 1e-6, "us"};
  if (EndsWith(key, "_ms")) return {Dimension::kTime, 1e-3, "ms"};
  if (EndsWith(key, "_s")) return {Dimension::kTime, 1, "s"};
  if (EndsWith(key, "_pct")) return {Dimension::kPercent, 1, "%"};
  if (EndsWith(key, "_kb")) return {Dimension::kMemory, 1024, "KB"};
  if (EndsWith(key, "_bytes")) return {Dimension::kMemory, 1, "B"};
  return {};
}

// A unit written on the right-hand side: its dimension and size.
struct WrittenUnit {
  Dimension dimension;
  double base;
};

std::optional<WrittenUnit> ParseUnit(const std::string& u) {
  if (u == "us" || u == "µs") return WrittenUnit{Dimension::kTime, 1e-6};
  if (u == "ms") return WrittenUnit{Dimension::kTime, 1e-3};
  if (u == "s") return WrittenUnit{Dimension::kTime, 1};
  if (u == "m") return WrittenUnit{Dimension::kTime, 60};
  if (u == "%") return WrittenUnit{Dimension::kPercent, 1};
  if (u == "/s") return WrittenUnit{Dimension::kRate, 1};
  if (u == "B") return WrittenUnit{Dimension::kMemory, 1};
  if (u == "KB") return WrittenUnit{Dimension::kMemory, 1024};
  if (u == "MB") return WrittenUnit{Dimension::kMemory, 1024.0 * 1024};
  if (u == "GB") return WrittenUnit{Dimension::kMemory, 1024.0 * 1024 * 1024};
  return std::nullopt;
}

const char* DimensionName(Dimension d) {
  switch (d) {
    case Dimension::kCount:
      return "a count";
    case Dimension::kTime:
      return "a time";
    case Dimension::kPercent:
      return "a percentage";
    case Dimension::kRate:
      return "a rate per second";
    case Dimension::kMemory:
      return "a memory size";
  }
  return "?";
}

const char* OpText(ThresholdOp op) {
  switch (op) {
    case ThresholdOp::kLess:
      return "<";
    case ThresholdOp::kLessEqual:
      return "<=";
    case ThresholdOp::kGreater:
      return ">";
    case ThresholdOp::kGreaterEqual:
      return ">=";
    case ThresholdOp::kEqual:
      return "==";
    case ThresholdOp::kNotEqual:
      return "!=";
  }
  return "?";
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

Error Bad(const std::string& expression, const std::string& why) {
  return Error{"usage", "--threshold '" + expression + "': " + why};
}

std::string Shown(double value, const Threshold& t) {
  return fmt::format("{:g}{}", value / t.scale, t.unit);
}

}  // namespace

Result<Threshold> ParseThreshold(const std::string& expression) {
  const size_t at = expression.find_first_of("<>=!");
  if (at == std::string::npos) {
    return Bad(expression, "no comparison; write METRIC OP VALUE with OP one of < <= > >= == !=");
  }
  Threshold t;
  t.expression = expression;
  const std::string written_path = Trim(expression.substr(0, at));
  if (written_path.empty()) return Bad(expression, "no metric before the operator");

  size_t op_end = expression.find_first_not_of("<>=!", at);
  const std::string op = expression.substr(at, op_end == std::string::npos ? op_end : op_end - at);
  if (op == "<")
    t.op = ThresholdOp::kLess;
  else if (op == "<=")
    t.op = ThresholdOp::kLessEqual;
  else if (op == ">")
    t.op = ThresholdOp::kGreater;
  else if (op == ">=")
    t.op = ThresholdOp::kGreaterEqual;
  else if (op == "==")
    t.op = ThresholdOp::kEqual;
  else if (op == "!=")
    t.op = ThresholdOp::kNotEqual;
  else {
    return Bad(expression, "unknown operator '" + op + "' (use < <= > >= == !=)");
  }

  t.path = Resolve(written_path);
  if (t.path.empty()) {
    return Bad(expression, "no figure '" + written_path + "' in the report; did you mean '" +
                               Nearest(written_path) + "'?");
  }

  const std::string rhs = Trim(op_end == std::string::npos ? "" : expression.substr(op_end));
  const char* begin = rhs.c_str();
  char* end = nullptr;
  const double number = std::strtod(begin, &end);
  if (rhs.empty() || end == begin || !std::isfinite(number)) {
    return Bad(expression, "expected a number after '" + op + "', got '" + rhs + "'");
  }
  const std::string unit = Trim(std::string(end));
  const MetricUnit metric = UnitOf(t.path);
  t.unit = metric.shown;
  if (unit.empty()) {
    t.limit = number;  // the metric's own unit
    return t;
  }
  auto written = ParseUnit(unit);
  if (!written) {
    return Bad(expression, "unknown unit '" + unit + "' (use us, ms, s, m, %, /s, B, KB, MB, GB)");
  }
  if (written->dimension != metric.dimension) {
    return Bad(expression, "'" + unit + "' does not fit " + t.path + ", which is " +
                               DimensionName(metric.dimension) +
                               (metric.shown.empty() ? "" : " in " + metric.shown));
  }
  t.scale = written->base / metric.base;
  t.unit = unit;
  t.limit = number * t.scale;
  return t;
}

std::vector<ThresholdResult> EvaluateThresholds(const std::vector<Threshold>& thresholds,
                                                const Json& report) {
  std::vector<ThresholdResult> results;
  for (const auto& t : thresholds) {
    ThresholdResult r;
    r.threshold = t;
    const Json* at = &report;
    for (const auto& key : Split(t.path)) {
      at = at->is_object() && at->contains(key) ? &(*at)[key] : nullptr;
      if (!at) break;
    }
    if (at && at->is_number()) {
      r.measured = true;
      r.value = at->get<double>();
    } else if (!at && InMap(t.path)) {
      r.measured = true;  // a reason that never occurred
    }
    if (r.measured) {
      switch (t.op) {
        case ThresholdOp::kLess:
          r.passed = r.value < t.limit;
          break;
        case ThresholdOp::kLessEqual:
          r.passed = r.value <= t.limit;
          break;
        case ThresholdOp::kGreater:
          r.passed = r.value > t.limit;
          break;
        case ThresholdOp::kGreaterEqual:
          r.passed = r.value >= t.limit;
          break;
        case ThresholdOp::kEqual:
          r.passed = r.value == t.limit;
          break;
        case ThresholdOp::kNotEqual:
          r.passed = r.value != t.limit;
          break;
      }
    }
    results.push_back(r);
  }
  return results;
}

void RecordThresholds(const std::vector<ThresholdResult>& results, Json& report) {
  Json list = Json::array();
  bool failed = false;
  for (const auto& r : results) {
    const Threshold& t = r.threshold;
    Json j;
    j["expression"] = t.expression;
    j["metric"] = t.path;
    j["op"] = OpText(t.op);
    j["limit"] = t.limit;
    j["value"] = r.measured ? Json(r.value) : Json(nullptr);
    j["measured"] = r.measured ? Shown(r.value, t) : "not measured";
    j["ok"] = r.passed;
    list.push_back(j);
    if (!r.passed) {
      failed = true;
      report["problems"].push_back(
          "threshold " + t.expression + " failed: " +
          (r.measured ? "measured " + Shown(r.value, t) : std::string("not measured in this run")));
    }
  }
  report["thresholds"] = list;
  if (failed) {
    report["ok"] = false;
    report["exit_code"] = 1;
  }
}

std::string FormatThresholds(const Json& report) {
  if (!report.contains("thresholds") || report["thresholds"].empty()) return "";
  size_t width = 10;
  for (const auto& t : report["thresholds"])
    width = std::max(width, t["expression"].get<std::string>().size());
  std::string out = "\nThresholds\n";
  for (const auto& t : report["thresholds"]) {
    out += fmt::format("  {:<{}}  {:>14}  {}\n", t["expression"].get<std::string>(), width,
                       t["measured"].get<std::string>(), t["ok"].get<bool>() ? "pass" : "FAIL");
  }
  return out;
}

std::string ThresholdsJunit(const Json& report) {
  const Json empty = Json::array();
  const Json& list = report.contains("thresholds") ? report["thresholds"] : empty;
  int failures = 0;
  for (const auto& t : list) failures += t["ok"].get<bool>() ? 0 : 1;
  const std::string suite = "cable bench " + report.value("scenario", std::string());
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites tests=\"{}\" failures=\"{}\">\n", list.size(), failures);
  out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" time=\"{}\">\n",
                     EscapeXml(suite), list.size(), failures, report.value("duration_s", 0.0));
  for (const auto& t : list) {
    const std::string expression = t["expression"].get<std::string>();
    out += fmt::format("    <testcase classname=\"{}\" name=\"{}\"", EscapeXml(suite),
                       EscapeXml(expression));
    if (t["ok"].get<bool>()) {
      out += "/>\n";
      continue;
    }
    const std::string message = expression + ": measured " + t["measured"].get<std::string>() +
                                " (" + t["metric"].get<std::string>() + ")";
    out += fmt::format(">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                       EscapeXml(message), EscapeXml(message));
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace cable::bench
