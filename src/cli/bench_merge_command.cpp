// `cable bench merge a.json b.json ...`: the shards of one run (--shard I/N)
// as one report, with thresholds judged on the whole.

#include <iostream>

#include "bench/merge.h"
#include "bench/report.h"
#include "bench/shard.h"
#include "bench/threshold.h"
#include "cli/bench_merge.h"
#include "cli/bench_report_flags.h"

namespace cable::cli {

namespace {

struct MergeOptions {
  std::vector<std::string> files;
  std::string json_file;
  std::string html_file;
  std::string format = "text";
  std::string junit_file;
  std::vector<std::string> thresholds;
};

int RunMerge(const MergeOptions& m) {
  if (m.files.size() > static_cast<size_t>(bench::kMaxShards)) {
    throw UsageError("merge: at most " + std::to_string(bench::kMaxShards) + " reports");
  }
  // A typo in a threshold must not cost the reading of many files.
  std::vector<bench::Threshold> thresholds;
  for (const auto& text : m.thresholds) {
    auto t = bench::ParseThreshold(text);
    if (!t.ok()) throw UsageError(t.error().message);
    thresholds.push_back(*t);
  }
  std::vector<bench::MergeInput> inputs;
  for (const auto& file : m.files) {
    auto r = bench::LoadReport(file);
    if (!r.ok()) throw UsageError("merge: " + r.error().message);
    inputs.push_back({file, std::move(*r)});
  }
  auto merged = bench::MergeReports(inputs);
  if (!merged.ok()) throw UsageError("merge: " + merged.error().message);
  for (const auto& w : merged->warnings) std::cerr << "cable bench merge: warning: " << w << "\n";
  bench::Json& report = merged->report;
  bench::RecordThresholds(bench::EvaluateThresholds(thresholds, report), report);
  try {
    if (!EmitReport(report, {m.format, m.json_file, m.junit_file, m.html_file},
                    "cable bench merge")) {
      return kExitFailure;
    }
  } catch (const nlohmann::json::exception& e) {
    // The inputs passed the merge's checks, but a field the report pages
    // read had another type than a run writes.
    throw UsageError(std::string("merge: a report has an unexpected shape: ") + e.what());
  }
  return report.value("exit_code", 1) == 0 ? kExitOk : kExitFailure;
}

}  // namespace

Runner AddBenchMergeCommand(CLI::App* bench) {
  auto* sub = bench->add_subcommand(
      "merge",
      "Merge the JSON reports of a sharded run (--shard I/N) into one report: counts summed, "
      "latency histograms merged exactly, loss and duplicates over all shards");
  auto m = std::make_shared<MergeOptions>();
  sub->add_option("FILES", m->files, "Shard reports (--json-file of each shard)")
      ->required()
      ->check(CLI::ExistingFile);
  sub->add_option("-o,--json-file,--json", m->json_file, "Write the merged JSON report here");
  sub->add_option("--report,--html", m->html_file, "Write the merged HTML report here");
  sub->add_option("--threshold", m->thresholds,
                  "Pass/fail criterion on the merged report (as for a run; repeatable)");
  sub->add_option("--format", m->format, "Report on stdout: text, json or junit")
      ->check(CLI::IsMember({"text", "json", "junit"}))
      ->capture_default_str();
  sub->add_option("--junit", m->junit_file, "Also write the thresholds as JUnit XML here");
  sub->footer(
      "Exit codes: 0 merged, no problem in any shard and every threshold met; 1 a shard's\n"
      "problem (loss, duplicates, failed connects, ...) or a violated --threshold; 2 a report\n"
      "that cannot be read or is not a shard of the same run as the others.\n"
      "Example:\n"
      "  cable bench merge shard-1.json shard-2.json shard-3.json --report run.html \\\n"
      "    --threshold 'latency.p99<50ms' --threshold missing==0");
  return [sub, m]() -> int {
    (void)sub;
    return RunMerge(*m);
  };
}

}  // namespace cable::cli
