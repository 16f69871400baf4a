#pragma once
// What `cable bench` knows about the machine and the processes involved:
// the open-files limit it raises for itself, CPU time and memory of its own
// threads and of the server under test (read from /proc), and the kernel's
// TCP memory, so memory-per-connection figures can be reported honestly.

#include <pthread.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "common/result.h"

namespace cable::bench {

// Raises the soft RLIMIT_NOFILE to the hard limit and checks that `needed`
// descriptors fit. The Error explains the limit and how to change it.
Result<int64_t> RaiseFileLimit(int64_t needed);

struct ProcessSample {
  bool ok = false;
  double cpu_user_s = 0;
  double cpu_sys_s = 0;
  int64_t rss_kb = 0;
  int64_t pss_kb = 0;  // 0 when smaps_rollup is unreadable
  int64_t hwm_kb = 0;  // peak RSS
  int threads = 0;
  double cpu_s() const { return cpu_user_s + cpu_sys_s; }
};

// /proc/<pid>/{stat,status,smaps_rollup}; ok=false when the process is gone.
ProcessSample SampleProcess(pid_t pid);

// CPU seconds this process has used so far (user + system; each part too
// when asked).
double ProcessCpuSeconds(double* user = nullptr, double* sys = nullptr);

// The current UTC time as RFC 3339 (seconds), for reports.
std::string UtcNow();

// CPU seconds a (live) thread has used so far.
double ThreadCpuSeconds(pthread_t thread);

// TCP memory the kernel accounts for all sockets (/proc/net/sockstat `mem`,
// pages -> KiB) and the number of TCP sockets in use.
struct KernelTcp {
  int64_t mem_kb = 0;
  int64_t inuse = 0;
};
KernelTcp SampleKernelTcp();

// CPUs this process may run on (the affinity mask, so `taskset -c 1` gives 1).
int UsableCpus();

// One line each, for the report's environment section.
std::string CpuModel();
std::string KernelRelease();
std::string HostName();
// The 1-minute load average: on a shared machine, the context a figure was
// measured in.
double LoadAverage1();

}  // namespace cable::bench
