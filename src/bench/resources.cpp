#include "bench/resources.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

namespace cable::bench {

Result<int64_t> RaiseFileLimit(int64_t needed) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return Error{"rlimit", std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno)};
  }
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  auto have = static_cast<int64_t>(lim.rlim_cur);
  if (lim.rlim_cur != RLIM_INFINITY && needed > have) {
    return Error{"fd_limit", "this run needs about " + std::to_string(needed) +
                                 " file descriptors but the open-files limit is " +
                                 std::to_string(have) + " (hard limit " +
                                 std::to_string(static_cast<int64_t>(lim.rlim_max)) +
                                 "); use fewer clients, or raise the hard limit (ulimit -Hn, "
                                 "/etc/security/limits.conf, LimitNOFILE=) and run again"};
  }
  return have;
}

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int64_t StatusField(const std::string& text, const char* name) {
  size_t pos = text.find(name);
  if (pos == std::string::npos) return 0;
  return std::atoll(text.c_str() + pos + std::strlen(name));
}

}  // namespace

ProcessSample SampleProcess(pid_t pid) {
  ProcessSample s;
  std::string base = "/proc/" + std::to_string(pid);
  std::string stat = ReadFile(base + "/stat");
  // Fields after the command name, which may contain spaces and parentheses.
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return s;
  std::istringstream fields(stat.substr(close + 2));
  std::string f;
  long ticks = sysconf(_SC_CLK_TCK);
  // Field 3 is the state; utime and stime are fields 14 and 15, threads 20.
  for (int i = 3; i <= 20 && (fields >> f); ++i) {
    if (i == 14) s.cpu_user_s = std::atof(f.c_str()) / static_cast<double>(ticks);
    if (i == 15) s.cpu_sys_s = std::atof(f.c_str()) / static_cast<double>(ticks);
    if (i == 20) s.threads = std::atoi(f.c_str());
  }
  std::string status = ReadFile(base + "/status");
  s.rss_kb = StatusField(status, "VmRSS:");
  s.hwm_kb = StatusField(status, "VmHWM:");
  s.pss_kb = StatusField(ReadFile(base + "/smaps_rollup"), "\nPss:");
  s.ok = !status.empty();
  return s;
}

double ThreadCpuSeconds(pthread_t thread) {
  clockid_t id;
  if (pthread_getcpuclockid(thread, &id) != 0) return 0;
  timespec ts{};
  if (clock_gettime(id, &ts) != 0) return 0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

KernelTcp SampleKernelTcp() {
  KernelTcp k;
  std::string text = ReadFile("/proc/net/sockstat");
  size_t tcp = text.find("TCP:");
  if (tcp == std::string::npos) return k;
  std::string line = text.substr(tcp, text.find('\n', tcp) - tcp);
  k.inuse = StatusField(line, "inuse ");
  k.mem_kb = StatusField(line, "mem ") * (sysconf(_SC_PAGESIZE) / 1024);
  return k;
}

int UsableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

std::string CpuModel() {
  std::string text = ReadFile("/proc/cpuinfo");
  size_t pos = text.find("model name");
  if (pos == std::string::npos) return "unknown";
  size_t colon = text.find(':', pos);
  size_t end = text.find('\n', pos);
  std::string model = text.substr(colon + 2, end - colon - 2);
  return model;
}

std::string KernelRelease() {
  utsname u{};
  if (uname(&u) != 0) return "unknown";
  return std::string(u.sysname) + " " + u.release;
}

std::string HostName() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

double LoadAverage1() {
  double load[1] = {0};
  if (getloadavg(load, 1) != 1) return -1;
  return load[0];
}

double ProcessCpuSeconds(double* user, double* sys) {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double u = static_cast<double>(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec / 1e6;
  double s = static_cast<double>(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec / 1e6;
  if (user) *user = u;
  if (sys) *sys = s;
  return u + s;
}

std::string UtcNow() {
  auto now = std::chrono::system_clock::now();
  auto t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", tm);
}

}  // namespace cable::bench
