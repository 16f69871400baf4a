#include "bench/preflight.h"

#include <fmt/format.h>

#include "bench/resources.h"

namespace cable::bench {

Preflight CheckBeforeRun(const BenchOptions& options, int64_t clients) {
  Preflight p;
  auto plan = MakePlan(options);
  if (!plan.ok()) {
    p.exit_code = plan.error().IsUsage() ? 2 : 1;
    p.fatal = plan.error().message;
    return p;
  }
  p.plan = std::move(*plan);
  // Clients, plus a few descriptors per loop (epoll, eventfd, timerfd) and
  // headroom for the publisher connection, /proc reads and stdio.
  auto limit = RaiseFileLimit(clients + 8LL * options.threads + 64);
  if (!limit.ok()) {
    p.exit_code = 2;
    p.fatal = limit.error().message;
    return p;
  }
  p.fd_limit = *limit;
  if (options.server_pid > 0 && !SampleProcess(options.server_pid).ok) {
    p.exit_code = 2;
    p.fatal = fmt::format("--server-pid {}: no such process (or /proc is not readable)",
                          options.server_pid);
  }
  return p;
}

}  // namespace cable::bench
