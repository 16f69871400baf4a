#include "common/log.h"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

namespace cable::log {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

namespace {
std::atomic<Format> g_format{Format::kText};

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "DEBUG";
    case Level::kInfo:
      return "INFO";
    case Level::kWarn:
      return "WARN";
    case Level::kError:
      return "ERROR";
    default:
      return "OFF";
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

void WriteAll(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(STDERR_FILENO, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to report a broken stderr
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Control characters as C escapes: one message is always one line.
void AppendEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) {
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += fmt::format("\\x{:02x}", u);
    }
  }
}

std::string_view Clip(std::string_view message, std::string* note) {
  if (message.size() <= kMaxMessageBytes) return message;
  *note = fmt::format("... ({} bytes)", message.size());
  return message.substr(0, kMaxMessageBytes);
}

// The background writer: lines are appended to `pending` under the lock
// and written by one thread, which swaps the buffer out first so that
// producers never wait for the sink.
class AsyncWriter {
 public:
  explicit AsyncWriter(size_t max_bytes) : max_bytes_(max_bytes), thread_([this] { Run(); }) {
    thread_.detach();
  }

  void Push(std::string_view line) {
    {
      std::lock_guard lock(mu_);
      if (pending_.size() + line.size() > max_bytes_) {
        ++dropped_;
        dropped_total_.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      pending_.append(line);
    }
    wake_.notify_one();
  }

  void Flush(int timeout_ms) {
    std::unique_lock lock(mu_);
    drained_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [this] { return pending_.empty() && !writing_; });
  }

  uint64_t dropped_total() const { return dropped_total_.load(std::memory_order_relaxed); }

 private:
  void Run() {
    std::string batch;
    for (;;) {
      uint64_t dropped = 0;
      {
        std::unique_lock lock(mu_);
        writing_ = false;
        drained_.notify_all();
        wake_.wait(lock, [this] { return !pending_.empty(); });
        batch.swap(pending_);
        dropped = std::exchange(dropped_, 0);
        writing_ = true;
      }
      WriteAll(batch);
      batch.clear();
      if (batch.capacity() > max_bytes_ / 4) std::string().swap(batch);
      if (dropped > 0) {
        WriteAll(
            fmt::format("{} WARN {} log lines dropped: the log sink was slower than the "
                        "server\n",
                        Timestamp(), dropped));
      }
    }
  }

  const size_t max_bytes_;
  std::mutex mu_;
  std::condition_variable wake_, drained_;
  std::string pending_;
  uint64_t dropped_ = 0;
  std::atomic<uint64_t> dropped_total_{0};
  bool writing_ = false;
  std::thread thread_;
};

std::atomic<AsyncWriter*> g_async{nullptr};

// Writes what is queued when the process exits normally. The writer is
// never joined: it may be stuck in a write() to a sink that never drains.
struct FlushAtExit {
  ~FlushAtExit() {
    if (AsyncWriter* w = g_async.load()) w->Flush(1000);
  }
} g_flush_at_exit;

}  // namespace

bool ParseLevel(std::string_view name, Level* out) {
  if (name == "debug")
    *out = Level::kDebug;
  else if (name == "info")
    *out = Level::kInfo;
  else if (name == "warn" || name == "warning")
    *out = Level::kWarn;
  else if (name == "error")
    *out = Level::kError;
  else if (name == "off" || name == "none")
    *out = Level::kOff;
  else
    return false;
  return true;
}

void SetLevel(Level level) {
  g_level.store(static_cast<int>(level));
}
void SetFormat(Format format) {
  g_format.store(format);
}

void StartAsync(size_t max_queued_bytes) {
  if (g_async.load() != nullptr) return;
  // Never deleted: other threads may log until the very end.
  g_async.store(new AsyncWriter(max_queued_bytes));
}

void Flush(int timeout_ms) {
  if (AsyncWriter* w = g_async.load()) w->Flush(timeout_ms);
}

uint64_t DroppedLines() {
  AsyncWriter* w = g_async.load();
  return w ? w->dropped_total() : 0;
}

namespace {
std::string g_node_id;  // set once at start
}  // namespace

void SetNodeId(std::string id) {
  g_node_id = std::move(id);
}

void Write(Level level, std::string_view message, std::string_view fields) {
  std::string note;
  message = Clip(message, &note);
  std::string line;
  if (g_format.load() == Format::kJson) {
    nlohmann::json j{
        {"time", Timestamp()}, {"level", LevelName(level)}, {"msg", std::string(message) + note}};
    if (!fields.empty()) j["fields"] = std::string(fields.substr(fields.front() == ' ' ? 1 : 0));
    if (!g_node_id.empty()) j["nodeid"] = g_node_id;
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = fmt::format("{} {} ", Timestamp(), LevelName(level));
    AppendEscaped(line, message);
    line += note;
    AppendEscaped(line, fields);
    if (!g_node_id.empty()) {
      line += " nodeid=";
      AppendEscaped(line, g_node_id);
    }
  }
  line += '\n';
  if (AsyncWriter* w = g_async.load()) return w->Push(line);
  // One write keeps concurrent lines whole.
  WriteAll(line);
}

}  // namespace cable::log
