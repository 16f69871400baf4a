#include "conformance/report.h"

namespace cable::conformance {

std::string JsonReport(const RunReport& report) {
  Counts c = Count(report);
  Json out = Json::object();
  out["summary"] = {{"passed", c.passed},
                    {"failed", c.failed},
                    {"skipped", c.skipped},
                    {"duration_s", report.duration_s}};
  out["target"] = report.target;
  if (!report.error.empty()) out["error"] = report.error;
  Json list = Json::array();
  for (const auto& r : report.results) {
    const Scenario& s = *r.scenario;
    Json j = {{"feature", s.feature},
              {"name", s.name},
              {"file", s.pos.file},
              {"line", s.pos.line},
              {"requires", s.requires_features},
              {"status", r.outcome == Outcome::kPassed   ? "passed"
                         : r.outcome == Outcome::kFailed ? "failed"
                                                         : "skipped"},
              {"duration_s", r.duration_s}};
    if (r.outcome == Outcome::kSkipped) j["skip_reason"] = r.skip_reason;
    if (!r.note.empty()) j["note"] = r.note;
    if (!r.failures.empty()) {
      Json failures = Json::array();
      for (const auto& f : r.failures) {
        Json frames = Json::array();
        for (const auto& e : f.last_frames) {
          frames.push_back({{"at_s", e.at_s},
                            {"direction", e.outgoing ? "out" : "in"},
                            {"ignored", e.ignored},
                            {"text", e.text}});
        }
        failures.push_back({{"client", f.client},
                            {"step", f.step},
                            {"at", f.pos.str()},
                            {"message", f.message},
                            {"expected", f.expected},
                            {"received", f.received},
                            {"last_frames", frames}});
      }
      j["failures"] = failures;
    }
    list.push_back(std::move(j));
  }
  out["scenarios"] = std::move(list);
  return out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace cable::conformance
