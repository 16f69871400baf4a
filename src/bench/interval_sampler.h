#pragma once
// The figures every timeline point measures the same way, whatever drives
// the clients (the broadcast/echo/connect scenarios or a script): rates
// since the previous point, the generator's CPU and its busiest loop
// thread, the server's CPU and RSS (with --server-pid), and the peaks of the
// whole run. Both runners hold one.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "bench/run_record.h"

namespace cable::bench {

// This process's CPU and the server's (pid 0: none) now, to subtract.
CpuMark MarkCpu(pid_t server_pid);

class IntervalSampler {
 public:
  // The baselines of the first interval: the run starts at `now_ns`, the
  // server (pid 0: none) had used `server_cpu_s`, `threads` loops run.
  void Start(int64_t now_ns, pid_t server_pid, double server_cpu_s, size_t threads);

  // Seconds since the previous point.
  double SinceLast(int64_t now_ns) const;
  // Fills `p`'s rates and CPU/memory figures for the interval that ends at
  // `now_ns` and makes it the baseline of the next. The counters are the
  // run's totals so far; `thread_cpu(i)` is loop thread i's CPU seconds.
  void Fill(TimelinePoint& p, int64_t now_ns, int64_t ready, int64_t sent, int64_t unique,
            const std::function<double(size_t)>& thread_cpu);

  int64_t last_tick() const { return last_tick_; }
  const Peaks& peaks() const { return peaks_; }

 private:
  pid_t server_pid_ = 0;
  Peaks peaks_;
  int64_t last_tick_ = 0, last_ready_ = 0, last_sent_ = 0, last_unique_ = 0;
  double last_proc_cpu_ = 0, last_server_cpu_ = 0;
  std::vector<double> last_thread_cpu_;
};

}  // namespace cable::bench
