#pragma once
// What one run measured, phase by phase. The runner (runner.cpp) drives the
// run and fills these plain structs; BuildRunReport (report_json.cpp) lays
// them out as the report document. Keeping the two apart leaves the runner
// about timing and the report's key layout in one place.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/histogram.h"
#include "bench/options.h"
#include "bench/report.h"
#include "bench/resources.h"
#include "bench/timeline.h"

namespace cable::bench {

// CPU seconds used so far by this process and by the server under test
// (0 without --server-pid). Phases are measured as the difference of two.
struct CpuMark {
  double generator_s = 0;
  double server_s = 0;
  double server_sys_s = 0;
};

// Taken before the first connect.
struct StartSample {
  std::string started_at;  // UTC, ISO 8601
  int64_t unix_ns = 0;     // the same, precisely (merged timelines line up on it)
  int64_t t_ns = 0;
  int64_t fd_limit = 0;
  double load_avg_1m = 0;
  ProcessSample server;  // not ok without --server-pid
  KernelTcp kernel;
};

struct ConnectPhase {
  CpuMark before, after;
  double span_s = 0;  // first connect to the last client ready
  // After --settle: the memory of the connected state.
  ProcessSample server;
  KernelTcp kernel;
};

// The publish/drain, echo/drain or hold phase.
struct MessagePhase {
  CpuMark before, after;
  double publisher_cpu_s = 0;
  int64_t t0_ns = 0;        // first send scheduled (hold: phase start)
  int64_t send_end_ns = 0;  // last send
  int64_t end_ns = 0;       // drained, or gave up waiting
  int64_t expected = 0;     // deliveries the measured clients should get
  bool drained = true;
  std::vector<std::string> problems;  // why the phase could not measure anything
};

// Taken once the loops are stopped.
struct EndSample {
  int64_t t_ns = 0;
  ProcessSample server;
  std::vector<double> thread_cpu_s;  // one per loop thread
  double cpu_s = 0, cpu_user_s = 0, cpu_sys_s = 0;
};

// Stream positions (broadcast on actioncable-v1-ext-json).
struct PositionTotals {
  bool checked = false;  // asked for: the run checks positions
  int64_t positioned = 0, unpositioned = 0;
  int64_t gaps = 0, skipped = 0, duplicates = 0, epoch_changes = 0;
};

// The reconnect scenario (--reconnect).
struct ReconnectTotals {
  int64_t dropped = 0, restored = 0, not_restored = 0, failed = 0;
  int64_t history_confirmed = 0, history_rejected = 0, history_unanswered = 0;
  int64_t replayed = 0, replay_duplicates = 0, missed = 0;
  std::map<std::string, int64_t> failures;
  Histogram ready, recovered;  // from the reconnect's TCP connect start
  Histogram history;           // from sending the history request to confirm_history
};

// The presence scenario: actions taken, events accounted, the final query.
struct PresenceTotals {
  bool active = false;  // a presence run
  std::string tag;      // the run's member id tag
  int64_t churners = 0;
  int64_t joins = 0, leaves = 0, drops = 0;
  // Members required to see every later event, and what they had to see
  // (PresenceLedger), saw, missed, and saw beyond that.
  int64_t required = 0, expected = 0, seen = 0, missing = 0, unexpected = 0;
  int64_t received = 0;  // new events about other members, required or not
  int64_t duplicates = 0, own = 0, bonus = 0, unknown = 0, foreign = 0, bad_info = 0;
  int64_t errors = 0, skipped = 0, late = 0, rejoin_failed = 0;
  std::map<std::string, int64_t> rejoin_failures;
  // The `presence` query sent once the events have drained, one per stream.
  int64_t info_asked = 0, info_answered = 0;
  int64_t info_expected = 0;                 // this run's members joined at the end
  int64_t info_listed = 0;                   // this run's members the replies listed
  int64_t info_total = 0, info_records = 0;  // the replies' `total`s and records
  Histogram join, leave, drop;               // action -> event seen by another member
};

// What the loops and the publisher counted, merged.
struct Totals {
  Histogram tcp, welcome, ready, latency, ack;
  std::map<std::string, int64_t> failures, drops;
  // Clients
  int64_t started = 0;
  int64_t ready_count = 0;
  int64_t failed = 0;  // including clients never started
  int64_t dropped = 0;
  int64_t late_starts = 0;
  int64_t max_connect_lag_ns = 0;
  // Messages
  int64_t measured_clients = 0;
  int64_t received = 0;
  int64_t unique = 0;
  int64_t missing = 0;
  int64_t extra = 0;  // deliveries nobody published
  int64_t duplicates = 0;
  int64_t out_of_order = 0;
  int64_t acks = 0;
  int64_t published = 0;
  int64_t publish_failed = 0;
  int64_t publish_requests = 0;
  int64_t publish_late = 0;
  int64_t publish_max_lag_ns = 0;
  std::string publish_error;  // the publisher's last error
  PositionTotals positions;
  ReconnectTotals reconnect;
  PresenceTotals presence;
};

// The worst the interval sampler saw.
struct Peaks {
  int saturated_intervals = 0;  // a loop thread above kSaturatedPct
  double max_thread_pct = 0;
  double max_server_pct = 0;
  int64_t max_server_rss_kb = 0;
};

// A loop thread busier than this (% of a core) makes latencies suspect.
inline constexpr double kSaturatedPct = 80.0;

// Problems fail the run (exit 1); warnings only qualify its figures.
struct Diagnosis {
  std::vector<std::string> problems;
  std::vector<std::string> warnings;
};

// The machine the generator ran on, and its own state at the end.
struct MachineSample {
  std::string host, kernel, cpu_model;
  int cpus_online = 0;
  int generator_cpus = 0;
  double load_avg_1m = 0;
  ProcessSample self;
};

struct RunRecord {
  StartSample start;
  ConnectPhase connect;
  MessagePhase message;
  EndSample end;
  Totals totals;
  Peaks peaks;
  Diagnosis diagnosis;
  MachineSample machine;
  std::vector<TimelinePoint> timeline;
  // --start-at: how long after the agreed time the measured phase began
  // (0: on time, or no --start-at).
  int64_t start_lag_ns = 0;
};

// The "cable-bench/1" document (docs/bench.md) for a finished run.
Json BuildRunReport(const BenchOptions& options, const RunRecord& run);

}  // namespace cable::bench
