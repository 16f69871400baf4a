#include "cli/bench_report_flags.h"

#include <cmath>
#include <fstream>
#include <iostream>

#include "bench/report.h"
#include "cli/command.h"

namespace cable::cli {

std::optional<double> ParseDuration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t used = 0;
  double v;
  try {
    v = std::stod(text, &used);
  } catch (...) {
    return std::nullopt;
  }
  if (!std::isfinite(v)) return std::nullopt;
  const std::string unit = text.substr(used);
  if (unit.empty() || unit == "s") return v;
  if (unit == "ms") return v / 1000;
  if (unit == "m") return v * 60;
  if (unit == "us") return v / 1e6;
  return std::nullopt;
}

void Duration(const std::string& flag, const std::string& text, double* out, bool zero_ok) {
  if (text.empty()) return;
  auto v = ParseDuration(text);
  if (!v || *v < 0 || (*v == 0 && !zero_ok)) {
    throw UsageError(flag + ": '" + text + "' is not a duration (e.g. 10, 10s, 500ms, 2m)");
  }
  *out = *v;
}

void AddReportFlags(CLI::App* sub, bench::BenchOptions& o, ReportFlags& flags) {
  const std::string kOut = "Output";
  sub->add_option("--server-pid", o.server_pid,
                  "Server process to sample (CPU, RSS, PSS from /proc)")
      ->group(kOut);
  sub->add_flag("--json", o.json, "Print the JSON report on stdout instead of the table")
      ->group(kOut);
  sub->add_option("-o,--json-file", o.json_file, "Also write the JSON report to this file")
      ->group(kOut);
  sub->add_option("--report", o.report_html, "Write a self-contained HTML report")->group(kOut);
  sub->add_option("--label", o.label, "Free text stored in the reports")->group(kOut);
  sub->add_flag("-q,--quiet", o.quiet, "No progress line")->group(kOut);
  sub->add_option("--interval", flags.interval, "Progress and timeline interval")
      ->capture_default_str()
      ->group(kOut);
  sub->add_option("--max-time", flags.max_time, "Hard bound on the whole run")
      ->capture_default_str()
      ->group(kOut);
  sub->add_option("--format", flags.format,
                  "Report on stdout: text (the table), json (same as --json) or junit (one "
                  "testcase per --threshold)")
      ->check(CLI::IsMember({"text", "json", "junit"}))
      ->capture_default_str()
      ->group(kOut);
  sub->add_option("--junit", flags.junit_file,
                  "Also write the thresholds as JUnit XML to this file")
      ->group(kOut);
}

void ApplyReportFlags(const ReportFlags& flags, bench::BenchOptions& o) {
  if (flags.format == "json") o.json = true;
  Duration("--interval", flags.interval, &o.interval_s, /*zero_ok=*/false);
  Duration("--max-time", flags.max_time, &o.max_time_s, /*zero_ok=*/false);
}

namespace {
bool Write(const std::string& path, const std::string& text, const std::string& command) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  if (f) return true;
  std::cerr << command << ": error: cannot write " << path << "\n";
  return false;
}
}  // namespace

bool EmitReport(const bench::Json& report, const ReportDestinations& to,
                const std::string& command) {
  if (to.format == "json") {
    std::cout << report.dump(2) << "\n";
  } else if (to.format == "junit") {
    std::cout << bench::ThresholdsJunit(report);
  } else {
    std::cout << bench::FormatTable(report);
  }
  std::cout.flush();
  if (!to.json_file.empty() && !Write(to.json_file, report.dump(2) + "\n", command)) return false;
  if (!to.junit_file.empty() && !Write(to.junit_file, bench::ThresholdsJunit(report), command)) {
    return false;
  }
  if (!to.html_file.empty()) {
    if (auto s = bench::WriteHtmlReport(report, to.html_file); !s.ok()) {
      std::cerr << command << ": error: " << s.error().message << "\n";
      return false;
    }
  }
  return true;
}

int DeliverReport(bench::RunOutcome& outcome, const std::vector<bench::Threshold>& thresholds,
                  const bench::BenchOptions& o, const ReportFlags& flags,
                  const std::string& command) {
  auto& report = outcome.report;
  bench::RecordThresholds(bench::EvaluateThresholds(thresholds, report), report);
  if (report["exit_code"] != 0 && outcome.exit_code == 0) outcome.exit_code = kExitFailure;
  ReportDestinations to{o.json ? "json" : flags.format, o.json_file, flags.junit_file,
                        o.report_html};
  if (!EmitReport(report, to, command)) return kExitFailure;
  return outcome.exit_code;
}

}  // namespace cable::cli
