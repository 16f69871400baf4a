#include "bench/interval_sampler.h"

#include <algorithm>

#include "bench/resources.h"

namespace cable::bench {

CpuMark MarkCpu(pid_t server_pid) {
  CpuMark m;
  m.generator_s = ProcessCpuSeconds();
  if (server_pid <= 0) return m;
  const ProcessSample s = SampleProcess(server_pid);
  m.server_s = s.cpu_s();
  m.server_sys_s = s.cpu_sys_s;
  return m;
}

void IntervalSampler::Start(int64_t now_ns, pid_t server_pid, double server_cpu_s, size_t threads) {
  server_pid_ = server_pid;
  last_tick_ = now_ns;
  last_proc_cpu_ = ProcessCpuSeconds();
  last_server_cpu_ = server_cpu_s;
  last_thread_cpu_.assign(threads, 0);
}

double IntervalSampler::SinceLast(int64_t now_ns) const {
  return static_cast<double>(now_ns - last_tick_) / 1e9;
}

void IntervalSampler::Fill(TimelinePoint& p, int64_t now_ns, int64_t ready, int64_t sent,
                           int64_t unique, const std::function<double(size_t)>& thread_cpu) {
  const double dt = SinceLast(now_ns);
  p.connects_per_s = static_cast<double>(ready - last_ready_) / dt;
  p.sent_per_s = static_cast<double>(sent - last_sent_) / dt;
  p.received_per_s = static_cast<double>(unique - last_unique_) / dt;
  const double proc = ProcessCpuSeconds();
  p.gen_cpu_pct = (proc - last_proc_cpu_) / dt * 100;
  for (size_t i = 0; i < last_thread_cpu_.size(); ++i) {
    const double c = thread_cpu(i);
    p.gen_max_thread_pct = std::max(p.gen_max_thread_pct, (c - last_thread_cpu_[i]) / dt * 100);
    last_thread_cpu_[i] = c;
  }
  if (server_pid_ > 0) {
    const ProcessSample s = SampleProcess(server_pid_);
    if (s.ok) {
      p.server_cpu_pct = (s.cpu_s() - last_server_cpu_) / dt * 100;
      p.server_rss_kb = s.rss_kb;
      last_server_cpu_ = s.cpu_s();
      peaks_.max_server_pct = std::max(peaks_.max_server_pct, p.server_cpu_pct);
      peaks_.max_server_rss_kb = std::max(peaks_.max_server_rss_kb, s.rss_kb);
    }
  }
  if (p.gen_max_thread_pct > kSaturatedPct) ++peaks_.saturated_intervals;
  peaks_.max_thread_pct = std::max(peaks_.max_thread_pct, p.gen_max_thread_pct);
  last_tick_ = now_ns;
  last_ready_ = ready;
  last_sent_ = sent;
  last_unique_ = unique;
  last_proc_cpu_ = proc;
}

}  // namespace cable::bench
