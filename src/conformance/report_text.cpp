#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "conformance/report.h"

namespace cable::conformance {
namespace {

std::string Indent(const std::string& text, const std::string& prefix) {
  std::string out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    out += prefix + text.substr(start, nl == std::string::npos ? std::string::npos : nl - start) +
           "\n";
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

}  // namespace

Counts Count(const RunReport& report) {
  Counts c;
  for (const auto& r : report.results) {
    if (r.outcome == Outcome::kPassed) ++c.passed;
    if (r.outcome == Outcome::kFailed) ++c.failed;
    if (r.outcome == Outcome::kSkipped) ++c.skipped;
  }
  return c;
}

std::string SummaryLine(const RunReport& report) {
  Counts c = Count(report);
  return fmt::format("{} passed, {} failed, {} skipped", c.passed, c.failed, c.skipped);
}

std::string TextReport(const RunReport& report, bool color) {
  auto paint = [&](const char* code, const std::string& s) {
    return color ? std::string("\033[") + code + "m" + s + "\033[0m" : s;
  };
  std::string out;
  if (!report.target.empty()) out += "Target: " + report.target + "\n";
  if (!report.error.empty())
    out += paint("31", "The target could not be started: ") + report.error + "\n";
  std::vector<std::string> features;
  std::map<std::string, std::vector<const ScenarioResult*>> by_feature;
  for (const auto& r : report.results) {
    auto& list = by_feature[r.scenario->feature];
    if (list.empty()) features.push_back(r.scenario->feature);
    list.push_back(&r);
  }
  for (const auto& feature : features) {
    out += "\n" + paint("1", feature) + "\n";
    for (const ScenarioResult* r : by_feature[feature]) {
      const Scenario& s = *r->scenario;
      switch (r->outcome) {
        case Outcome::kPassed:
          out += fmt::format("  {}  {}  {:.2f}s\n", paint("32", "ok  "), s.name, r->duration_s);
          break;
        case Outcome::kSkipped:
          out += fmt::format("  {}  {}  ({})\n", paint("33", "skip"), s.name, r->skip_reason);
          break;
        case Outcome::kFailed: {
          out += fmt::format("  {}  {}  {:.2f}s\n", paint("31", "FAIL"), s.name, r->duration_s);
          if (r->failures.empty()) break;
          const StepFailure& f = r->failures.front();
          std::string where = f.pos.str();
          if (!f.client.empty()) where += ": client " + f.client;
          if (!f.step.empty()) where += ", step " + f.step;
          out += "        " + where + "\n";
          out += Indent(f.message, "        ");
          if (!f.expected.empty()) out += Indent(f.expected, "        expected: ");
          for (const auto& got : f.received) out += Indent(got, "        received: ");
          if (!f.last_frames.empty()) {
            out += "        last frames of " + f.client + ":\n";
            for (const auto& e : f.last_frames) {
              out += fmt::format("          +{:.3f}s {} {}{}\n", e.at_s, e.outgoing ? "->" : "<-",
                                 e.text, e.ignored ? "  (ignored)" : "");
            }
          }
          if (!r->note.empty() && r->note != f.message) out += "        note: " + r->note + "\n";
          break;
        }
      }
    }
  }
  // Required features: which capabilities passed, failed or were skipped.
  std::map<std::string, Counts> tags;
  for (const auto& r : report.results) {
    for (const auto& f : r.scenario->requires_features) {
      auto& c = tags[f];
      if (r.outcome == Outcome::kPassed) ++c.passed;
      if (r.outcome == Outcome::kFailed) ++c.failed;
      if (r.outcome == Outcome::kSkipped) ++c.skipped;
    }
  }
  if (!tags.empty()) {
    out += "\nBy required feature:\n";
    size_t width = 18;  // the column fits the longest name
    for (const auto& [name, c] : tags) width = std::max(width, name.size());
    for (const auto& [name, c] : tags) {
      out += fmt::format("  {:<{}} {:>3} passed {:>3} failed {:>3} skipped\n", name, width,
                         c.passed, c.failed, c.skipped);
    }
  }
  out += fmt::format("\nFinished in {:.2f}s\n", report.duration_s);
  return out;
}

}  // namespace cable::conformance
