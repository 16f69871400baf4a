#pragma once
// Leveled, structured logging to stderr shared by every role.
// Text lines look like `2026-11-22T15:34:00.123Z INFO message key=value`;
// JSON lines are one object per line. Thread-safe; a line is written with a
// single write() so lines from several threads never interleave.
//
// Messages often carry client text (identifiers, commands, tokens), so a
// text line escapes control characters (a newline in an identifier cannot
// forge a second line) and a message is cut at kMaxMessageBytes.
//
// A server calls StartAsync(): lines then go to a bounded queue that one
// background thread writes, so a slow or stalled log sink never blocks an
// event loop. When the queue is full, lines are dropped and counted, and
// the count is logged once the sink catches up.

#include <fmt/format.h>

#include <atomic>
#include <cstddef>
#include <string>
#include <string_view>

namespace cable::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };
enum class Format { kText, kJson };

inline constexpr std::size_t kMaxMessageBytes = 4096;

// Parses "debug", "info", "warn"/"warning", "error", "off"; false on anything else.
bool ParseLevel(std::string_view name, Level* out);

void SetLevel(Level level);
void SetFormat(Format format);
// Tags every line with `nodeid=<id>` (a server's node, as anycable-go's
// logs are). Call before other threads log.
void SetNodeId(std::string id);

// Moves writing to a background thread with a queue of at most
// `max_queued_bytes`. Lines still queued at exit are written then (for at
// most a second if the sink is stuck).
void StartAsync(std::size_t max_queued_bytes = 4 << 20);
// Waits (at most `timeout_ms`) until queued lines are written.
void Flush(int timeout_ms = 1000);
// Lines dropped because the queue was full (since start).
std::uint64_t DroppedLines();

extern std::atomic<int> g_level;
inline bool Enabled(Level level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

// `fields` is a preformatted " key=value key2=value2" suffix (may be empty).
void Write(Level level, std::string_view message, std::string_view fields = {});

template <typename... Args>
void Debug(fmt::format_string<Args...> f, Args&&... args) {
  if (Enabled(Level::kDebug)) Write(Level::kDebug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Info(fmt::format_string<Args...> f, Args&&... args) {
  if (Enabled(Level::kInfo)) Write(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Warn(fmt::format_string<Args...> f, Args&&... args) {
  if (Enabled(Level::kWarn)) Write(Level::kWarn, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Error(fmt::format_string<Args...> f, Args&&... args) {
  if (Enabled(Level::kError)) Write(Level::kError, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace cable::log
