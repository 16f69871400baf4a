#pragma once
// What `cable bench` and `cable bench run` share on their command lines:
// durations as people write them, the Output flags, and how a finished run's
// report is printed and written.

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bench/options.h"
#include "bench/runner.h"
#include "bench/threshold.h"

namespace cable::cli {

// "10", "10s", "1.5s", "500ms", "2m", "250us" -> seconds; nullopt for
// anything else, infinities and NaN included.
std::optional<double> ParseDuration(const std::string& text);

// Parses `text` into `*out` (left as is when `text` is empty); a UsageError
// names `flag` when it is not a duration, or is negative (zero too unless
// `zero_ok`).
void Duration(const std::string& flag, const std::string& text, double* out, bool zero_ok = true);

struct ReportFlags {
  std::string interval = "1s";
  std::string max_time = "15m";
  std::string format = "text";
  std::string junit_file;
};

// Adds the "Output" group: --server-pid, --json, -o/--json-file, --report,
// --label, -q/--quiet, --interval, --max-time, --format and --junit.
void AddReportFlags(CLI::App* sub, bench::BenchOptions& options, ReportFlags& flags);

// --format json and the two durations, into `options`.
void ApplyReportFlags(const ReportFlags& flags, bench::BenchOptions& options);

// Where a finished report goes: stdout as the table, JSON or JUnit, and
// the files asked for (empty: none).
struct ReportDestinations {
  std::string format = "text";  // text, json or junit on stdout
  std::string json_file, junit_file, html_file;
};

// Prints and writes `report`; false when a file could not be written
// (said on stderr, with `command` naming the command).
bool EmitReport(const bench::Json& report, const ReportDestinations& to,
                const std::string& command);

// Records the thresholds' verdicts in the report, prints it as --format
// says, writes the JSON, JUnit and HTML files asked for. Returns the exit
// code; `command` ("cable bench") names the command in error lines.
int DeliverReport(bench::RunOutcome& outcome, const std::vector<bench::Threshold>& thresholds,
                  const bench::BenchOptions& options, const ReportFlags& flags,
                  const std::string& command);

}  // namespace cable::cli
