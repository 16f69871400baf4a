#pragma once
// One row of the run's timeline: what happened during one progress
// interval. The live progress line, the JSON `timeline` array and the HTML
// percentile-over-time charts are all drawn from these rows.

#include <cstdint>
#include <string>

#include "bench/histogram.h"

namespace cable::bench {

struct TimelinePoint {
  double t_s = 0;         // seconds since the run started (end of the interval)
  std::string phase;      // connect, settle, publish, echo, drain, hold
  int64_t connected = 0;  // ready and still connected
  int64_t failed = 0;     // connects failed so far
  int64_t dropped = 0;    // ready clients lost so far
  double connects_per_s = 0;
  double sent_per_s = 0;          // publications or echo requests
  double received_per_s = 0;      // unique deliveries or echo replies
  Percentiles connect;            // time to ready, clients that finished in the interval
  Percentiles message;            // delivery latency or echo RTT in the interval
  double gen_cpu_pct = 0;         // whole generator process, % of one core
  double gen_max_thread_pct = 0;  // busiest loop thread, % of one core
  double server_cpu_pct = -1;     // -1: no --server-pid
  int64_t server_rss_kb = 0;
};

}  // namespace cable::bench
