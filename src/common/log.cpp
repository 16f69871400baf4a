#include "common/log.h"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

namespace cable::log {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

namespace {
std::atomic<Format> g_format{Format::kText};
std::mutex g_fields_mu;
std::vector<std::pair<std::string, std::string>> g_fields;

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "DEBUG";
    case Level::kInfo: return "INFO";
    case Level::kWarn: return "WARN";
    case Level::kError: return "ERROR";
    default: return "OFF";
  }
}

std::string Timestamp() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = ms / 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", buf, ms % 1000);
}
}  // namespace

bool ParseLevel(std::string_view name, Level* out) {
  if (name == "debug") *out = Level::kDebug;
  else if (name == "info") *out = Level::kInfo;
  else if (name == "warn" || name == "warning") *out = Level::kWarn;
  else if (name == "error") *out = Level::kError;
  else if (name == "off" || name == "none") *out = Level::kOff;
  else return false;
  return true;
}

void SetLevel(Level level) { g_level.store(static_cast<int>(level)); }
void SetFormat(Format format) { g_format.store(format); }

void SetGlobalField(std::string key, std::string value) {
  std::lock_guard lock(g_fields_mu);
  for (auto& [k, v] : g_fields) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  g_fields.emplace_back(std::move(key), std::move(value));
}

void Write(Level level, std::string_view message, std::string_view fields) {
  std::string line;
  if (g_format.load() == Format::kJson) {
    nlohmann::json j{{"time", Timestamp()}, {"level", LevelName(level)}, {"msg", message}};
    {
      std::lock_guard lock(g_fields_mu);
      for (auto& [k, v] : g_fields) j[k] = v;
    }
    if (!fields.empty()) j["fields"] = std::string(fields.substr(fields.front() == ' ' ? 1 : 0));
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = fmt::format("{} {} {}{}", Timestamp(), LevelName(level), message, fields);
    std::lock_guard lock(g_fields_mu);
    for (auto& [k, v] : g_fields) line += fmt::format(" {}={}", k, v);
  }
  line += '\n';
  // One write keeps concurrent lines whole.
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace cable::log
