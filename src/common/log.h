#pragma once
// Leveled, structured logging to stderr shared by every role.
// Text lines look like `2026-11-22T15:34:00.123Z INFO message key=value`;
// JSON lines are one object per line. Thread-safe; a line is written with a
// single write() so lines from several threads never interleave.

#include <fmt/format.h>

#include <atomic>
#include <string>
#include <string_view>

namespace cable::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };
enum class Format { kText, kJson };

// Parses "debug", "info", "warn"/"warning", "error", "off"; false on anything else.
bool ParseLevel(std::string_view name, Level* out);

void SetLevel(Level level);
void SetFormat(Format format);
// Extra key=value attached to every line (e.g. nodeid).
void SetGlobalField(std::string key, std::string value);

extern std::atomic<int> g_level;
inline bool Enabled(Level level) { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }

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
