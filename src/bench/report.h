#pragma once
// The run report: one JSON document with stable keys (schema
// "cable-bench/1", documented in docs/bench.md). The final table, the HTML
// page and --compare all read this document, so whatever a person sees is
// exactly what a machine gets.

#include <nlohmann/json.hpp>
#include <string>

#include "bench/histogram.h"
#include "bench/timeline.h"
#include "common/result.h"

namespace cable::bench {

using Json = nlohmann::ordered_json;

inline constexpr const char* kReportSchema = "cable-bench/1";

// {"count","min","mean","p50","p90","p95","p99","p999","max"} in µs.
Json PercentilesJson(const Percentiles& p);
// [[low_us, high_us, count], ...] for the non-empty buckets.
Json BucketsJson(const Histogram& h);
Json TimelineJson(const TimelinePoint& p);

// The human summary printed at the end of a run.
std::string FormatTable(const Json& report);

// A self-contained HTML page (inline SVG charts, no network access).
Status WriteHtmlReport(const Json& report, const std::string& path);

// The largest report file LoadReport reads (a long run's timeline and
// histograms take a few MB).
inline constexpr size_t kMaxReportBytes = size_t{64} << 20;

// Reads a report written with --json/--json-file (or the HTML page carrying
// one), at most kMaxReportBytes and kMaxJsonDepth deep; the Error says why a
// file is not a cable bench report.
Result<Json> LoadReport(const std::string& path);

// Side-by-side differences of two reports (b relative to a).
std::string CompareReports(const Json& a, const Json& b, const std::string& name_a,
                           const std::string& name_b);

}  // namespace cable::bench
