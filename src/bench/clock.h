#pragma once
// The one clock every latency in `cable bench` is measured with.
//
// Publisher and receivers run on the same host, so CLOCK_MONOTONIC gives a
// single time base: a publisher stamps NowNs() into the payload and a
// receiver subtracts it from its own NowNs(). No wall-clock skew, no NTP
// steps. The vDSO makes a call cost ~20 ns, cheap enough for every message.

#include <time.h>

#include <cerrno>
#include <cstdint>

namespace cable::bench {

inline int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Wall-clock time (unix ns): only to turn an agreed start time (--start-at)
// into a monotonic instant, never to time anything.
inline int64_t RealtimeNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Sleeps until the monotonic instant `ns` (absolute, so a late wakeup does
// not push every later deadline back).
inline void SleepUntilNs(int64_t ns) {
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

}  // namespace cable::bench
