#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "common/xml_escape.h"
#include "conformance/report.h"

namespace cable::conformance {
namespace {

std::string FailureText(const ScenarioResult& r) {
  std::string out;
  for (const auto& f : r.failures) {
    out += f.pos.str();
    if (!f.client.empty()) out += ": client " + f.client + ", step " + f.step;
    out += "\n" + f.message + "\n";
    if (!f.expected.empty()) out += "expected: " + f.expected + "\n";
    for (const auto& got : f.received) out += "received: " + got + "\n";
    if (!f.last_frames.empty()) out += "last frames:\n";
    for (const auto& e : f.last_frames)
      out += fmt::format("  +{:.3f}s {} {}\n", e.at_s, e.outgoing ? "->" : "<-", e.text);
  }
  if (!r.note.empty()) out += "note: " + r.note + "\n";
  return out;
}

}  // namespace

std::string JunitReport(const RunReport& report) {
  std::vector<std::string> features;
  std::map<std::string, std::vector<const ScenarioResult*>> by_feature;
  for (const auto& r : report.results) {
    auto& list = by_feature[r.scenario->feature];
    if (list.empty()) features.push_back(r.scenario->feature);
    list.push_back(&r);
  }
  Counts all = Count(report);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<testsuites name=\"cable conformance\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" "
      "errors=\"0\" time=\"{:.3f}\">\n",
      report.results.size(), all.failed, all.skipped, report.duration_s);
  for (const auto& feature : features) {
    const auto& list = by_feature[feature];
    int failed = 0, skipped = 0;
    double time = 0;
    for (const auto* r : list) {
      failed += r->outcome == Outcome::kFailed;
      skipped += r->outcome == Outcome::kSkipped;
      time += r->duration_s;
    }
    out += fmt::format(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" errors=\"0\" "
        "time=\"{:.3f}\">\n",
        EscapeXml(feature), list.size(), failed, skipped, time);
    for (const auto* r : list) {
      const Scenario& s = *r->scenario;
      std::string classname = "conformance." + std::filesystem::path(s.pos.file).stem().string();
      out += fmt::format(
          "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\" time=\"{:.3f}\"",
          EscapeXml(s.name), EscapeXml(classname), EscapeXml(s.pos.file), s.pos.line,
          r->duration_s);
      if (r->outcome == Outcome::kPassed) {
        out += "/>\n";
        continue;
      }
      out += ">\n";
      if (r->outcome == Outcome::kSkipped) {
        out += "      <skipped message=\"" + EscapeXml(r->skip_reason) + "\"/>\n";
      } else {
        std::string message = r->failures.empty() ? r->note : r->failures.front().message;
        std::string details = FailureText(*r);
        if (!report.error.empty())
          details += "The target could not be started: " + report.error + "\n";
        out += "      <failure message=\"" + EscapeXml(message) + "\">" + EscapeXml(details) +
               "</failure>\n";
      }
      out += "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace cable::conformance
