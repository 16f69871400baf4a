#include "bench/script/report.h"

#include <fmt/format.h>

#include <algorithm>

namespace cable::bench::script {

namespace {

const char* KindName(Metric::Kind k) {
  switch (k) {
    case Metric::Kind::kConnect:
      return "connect";
    case Metric::Kind::kSubscribe:
      return "subscribe";
    case Metric::Kind::kHistory:
      return "history";
    case Metric::Kind::kSend:
      return "send";
    case Metric::Kind::kReceive:
      return "receive";
  }
  return "?";
}

Json StepJson(const Metric& m, const StepTotals& t) {
  const bool send = m.kind == Metric::Kind::kSend;
  Json j;
  j["step"] = m.keyword;
  j["kind"] = KindName(m.kind);
  j["at"] = m.pos.str();
  j["label"] = m.label;
  // Executions: sends for a send step, finished waits for the others.
  j["count"] = send ? t.sent + t.send_failed : t.tally.count;
  j["ok"] = send ? t.sent : t.tally.ok;
  j["failed"] = send ? t.send_failed : t.tally.failed;
  j["sent"] = t.sent;
  j["send_failed"] = t.send_failed;
  j["listeners"] = t.listeners;
  j["expected"] = t.expected;
  j["received"] = t.unique;
  j["on_time"] = t.on_time;
  j["missing"] = t.missing;
  j["late"] = t.late;
  j["duplicates"] = t.duplicates;
  j["own"] = t.own;
  j["mismatched"] = t.mismatched;
  j["latency_us"] = PercentilesJson(Summarize(t.latency));
  return j;
}

// Every figure path of one entry, built from an empty one.
const std::vector<std::string>& StepFigures() {
  static const std::vector<std::string> paths = [] {
    std::vector<std::string> out;
    Json j = StepJson(Metric{}, StepTotals{});
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it->is_number()) out.push_back(it.key());
      if (it->is_object()) {
        for (auto in = it->begin(); in != it->end(); ++in) out.push_back(it.key() + "." + in.key());
      }
    }
    return out;
  }();
  return paths;
}

bool KnownFigure(const std::string& p) {
  const auto& f = StepFigures();
  return std::find(f.begin(), f.end(), p) != f.end();
}

std::string Ms(double us) {
  if (us >= 100000) return fmt::format("{:.0f}", us / 1000);
  if (us >= 10000) return fmt::format("{:.1f}", us / 1000);
  return fmt::format("{:.3f}", us / 1000);
}

int64_t Int(const Json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<int64_t>() : 0;
}

}  // namespace

Json StepsJson(const Script& script, const std::vector<StepTotals>& totals) {
  Json steps = Json::object();
  for (size_t i = 0; i < script.metrics.size(); ++i)
    steps[script.metrics[i].name] = StepJson(script.metrics[i], totals[i]);
  return steps;
}

Json StepHistogramsJson(const Script& script, const std::vector<StepTotals>& totals) {
  Json h = Json::object();
  for (size_t i = 0; i < script.metrics.size(); ++i)
    h[script.metrics[i].name] = BucketsJson(totals[i].latency);
  return h;
}

std::vector<std::string> StepProblems(const Script& script, const std::vector<StepTotals>& totals) {
  std::vector<std::string> out;
  for (size_t i = 0; i < script.metrics.size(); ++i) {
    const Metric& m = script.metrics[i];
    const StepTotals& t = totals[i];
    const std::string at = "step " + m.name + " (" + m.pos.str() + ")";
    if (t.send_failed > 0) out.push_back(fmt::format("{}: {} sends failed", at, t.send_failed));
    if (t.missing > 0) {
      if (m.kind == Metric::Kind::kSend) {
        out.push_back(fmt::format(
            "{}: {} of {} expected receipts missing ({} of them arrived after the receive's "
            "timeout)",
            at, t.missing, t.expected, t.late));
      } else {
        out.push_back(fmt::format("{}: {} expected frames did not arrive in time", at, t.missing));
      }
    }
    if (t.duplicates > 0) out.push_back(fmt::format("{}: {} duplicate receipts", at, t.duplicates));
    if (t.mismatched > 0) {
      out.push_back(
          fmt::format("{}: {} clients got messages that do not match the receive's "
                      "pattern",
                      at, t.mismatched));
    }
    if (m.kind != Metric::Kind::kSend && m.kind != Metric::Kind::kReceive && t.tally.failed > 0) {
      out.push_back(fmt::format("{}: {} of {} failed", at, t.tally.failed, t.tally.count));
    }
  }
  return out;
}

std::string FormatSteps(const Json& report) {
  if (!report.contains("steps") || report["steps"].empty()) return "";
  std::string out =
      "\nSteps (ms)               count     p50     p90     p99     max  missing  dup\n";
  for (auto it = report["steps"].begin(); it != report["steps"].end(); ++it) {
    const Json& s = it.value();
    const Json& l = s["latency_us"];
    const bool measured_send = s["kind"] == "send" && Int(s, "listeners") > 0;
    const int64_t count = measured_send ? Int(s, "received") : Int(s, "count");
    std::string name = it.key();
    if (name.size() > 22) name = name.substr(0, 21) + "~";
    if (Int(l, "count") == 0) {
      out += fmt::format("  {:<22} {:>7}  {:>39}  {:>7}  {:>3}\n", name, count, "(no latency)",
                         Int(s, "missing"), Int(s, "duplicates"));
    } else {
      out += fmt::format("  {:<22} {:>7} {:>7} {:>7} {:>7} {:>7}  {:>7}  {:>3}\n", name, count,
                         Ms(l["p50"].get<double>()), Ms(l["p90"].get<double>()),
                         Ms(l["p99"].get<double>()), Ms(l["max"].get<double>()), Int(s, "missing"),
                         Int(s, "duplicates"));
    }
    if (!s["label"].get<std::string>().empty())
      out += fmt::format("    {}\n", s["label"].get<std::string>());
  }
  return out;
}

std::string ResolveStepPath(const std::string& written) {
  const std::string prefix = "steps.";
  if (written.rfind(prefix, 0) != 0) return "";
  const size_t dot = written.find('.', prefix.size());
  if (dot == std::string::npos || dot == prefix.size()) return "";
  const std::string head = written.substr(0, dot + 1);
  std::string rest = written.substr(dot + 1);
  if (KnownFigure(rest)) return head + rest;
  // `latency.p99` for `latency_us.p99`, as the other report paths allow.
  if (size_t at = rest.find('.'); at != std::string::npos) {
    std::string timed = rest.substr(0, at) + "_us" + rest.substr(at);
    if (KnownFigure(timed)) return head + timed;
  }
  return "";
}

}  // namespace cable::bench::script
