#include "bench/progress.h"

#include <fmt/format.h>
#include <unistd.h>

namespace cable::bench {

namespace {
std::string Ms(double us) {
  if (us >= 10000) return fmt::format("{:.0f}ms", us / 1000);
  return fmt::format("{:.2f}ms", us / 1000);
}
}  // namespace

Progress::Progress(bool enabled, int64_t clients)
    : enabled_(enabled), tty_(isatty(STDERR_FILENO) != 0), clients_(clients) {}

void Progress::Update(const TimelinePoint& p) {
  if (!enabled_ || counting_down_) return;
  std::string line =
      fmt::format("[{:6.1f}s] {:<7} clients {}/{}", p.t_s, p.phase, p.connected, clients_);
  if (p.failed) line += fmt::format(" failed {}", p.failed);
  if (p.dropped) line += fmt::format(" dropped {}", p.dropped);
  if (p.connects_per_s > 0) line += fmt::format(" | {:.0f} conn/s", p.connects_per_s);
  if (p.connect.count) {
    line += fmt::format(" ready p50 {} p99 {}", Ms(p.connect.p50_us), Ms(p.connect.p99_us));
  }
  if (p.sent_per_s > 0 || p.received_per_s > 0) {
    line += fmt::format(" | sent {:.0f}/s recv {:.0f}/s", p.sent_per_s, p.received_per_s);
  }
  if (p.message.count) {
    line += fmt::format(" lat p50 {} p99 {} max {}", Ms(p.message.p50_us), Ms(p.message.p99_us),
                        Ms(p.message.max_us));
  }
  line += fmt::format(" | gen {:.0f}%", p.gen_max_thread_pct);
  if (p.gen_max_thread_pct > 80) line += " SATURATED";
  if (p.server_cpu_pct >= 0) {
    line += fmt::format(" srv {:.0f}% {}MB", p.server_cpu_pct, p.server_rss_kb / 1024);
  }
  if (tty_) {
    fmt::print(stderr, "\r\x1b[K{}", line);
    dirty_ = true;
  } else {
    fmt::print(stderr, "{}\n", line);
  }
  std::fflush(stderr);
}

void Progress::Countdown(double remaining_s, const std::string& at, int64_t connected) {
  if (!enabled_) return;
  counting_down_ = true;
  const auto whole = static_cast<int64_t>(remaining_s);
  if (!tty_ && whole == last_countdown_s_) return;
  last_countdown_s_ = whole;
  std::string line = fmt::format("[ wait ] starts at {} in {:.1f}s", at, remaining_s);
  if (connected >= 0) line += fmt::format(" | clients {}/{}", connected, clients_);
  if (tty_) {
    fmt::print(stderr, "\r\x1b[K{}", line);
    dirty_ = true;
  } else {
    fmt::print(stderr, "{}\n", line);
  }
  std::fflush(stderr);
}

void Progress::EndCountdown() {
  if (!counting_down_) return;
  counting_down_ = false;
  Finish();
}

void Progress::Finish() {
  if (dirty_) fmt::print(stderr, "\n");
  dirty_ = false;
}

void Progress::Note(const std::string& text) {
  Finish();
  fmt::print(stderr, "{}\n", text);
}

}  // namespace cable::bench
