#include "bench/scanner.h"

namespace cable::bench {

namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

size_t SkipSpace(std::string_view s, size_t i) {
  while (i < s.size() && IsSpace(s[i])) ++i;
  return i;
}

// `i` is at an opening quote; returns the index just past the closing one
// (s.size() when unterminated).
size_t SkipString(std::string_view s, size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return s.size();
}

// Skips one JSON value starting at `i` without validating it.
size_t SkipValue(std::string_view s, size_t i) {
  if (i >= s.size()) return i;
  char c = s[i];
  if (c == '"') return SkipString(s, i);
  if (c == '{' || c == '[') {
    int depth = 0;
    while (i < s.size()) {
      char d = s[i];
      if (d == '"') {
        i = SkipString(s, i);
        continue;
      }
      if (d == '{' || d == '[') ++depth;
      if (d == '}' || d == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return i;
  }
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']') ++i;
  return i;
}

// Finds `"key":<int>` (or the escaped form `\"key\":<int>` inside a JSON
// string) in `s` and parses the integer.
bool FindInt(std::string_view s, std::string_view key, int64_t* out) {
  size_t from = 0;
  while (true) {
    size_t k = s.find(key, from);
    if (k == std::string_view::npos) return false;
    from = k + 1;
    if (k == 0 || s[k - 1] != '"') continue;
    size_t i = k + key.size();
    if (i < s.size() && s[i] == '\\') ++i;
    if (i >= s.size() || s[i] != '"') continue;
    i = SkipSpace(s, i + 1);
    if (i >= s.size() || s[i] != ':') continue;
    i = SkipSpace(s, i + 1);
    bool neg = i < s.size() && s[i] == '-';
    if (neg) ++i;
    if (i >= s.size() || s[i] < '0' || s[i] > '9') continue;
    int64_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
    *out = neg ? -v : v;
    return true;
  }
}

// The contents of a JSON string value (`"..."` -> `...`), empty otherwise.
std::string_view StringContents(std::string_view value) {
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return {};
  return value.substr(1, value.size() - 2);
}

// Scalars run up to the next `,` or `}`: spaces before it are not the value.
std::string_view TrimRight(std::string_view value) {
  while (!value.empty() && IsSpace(value.back())) value.remove_suffix(1);
  return value;
}

bool ParseUnsigned(std::string_view value, uint64_t* out) {
  value = TrimRight(value);
  if (value.empty() || value.size() > 19) return false;
  uint64_t v = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

MessageKind KindOf(std::string_view type) {
  if (type == "ping") return MessageKind::kPing;
  if (type == "welcome") return MessageKind::kWelcome;
  if (type == "confirm_subscription") return MessageKind::kConfirm;
  if (type == "reject_subscription") return MessageKind::kReject;
  if (type == "disconnect") return MessageKind::kDisconnect;
  if (type == "confirm_history") return MessageKind::kConfirmHistory;
  if (type == "reject_history") return MessageKind::kRejectHistory;
  if (type == "presence") return MessageKind::kPresence;
  return MessageKind::kOther;
}

// The top-level `type`, `id` and `info` of a presence message object.
void ScanPresence(std::string_view s, ScannedMessage* m) {
  size_t i = SkipSpace(s, 0);
  if (i >= s.size() || s[i] != '{') return;
  ++i;
  while (true) {
    i = SkipSpace(s, i);
    if (i >= s.size() || s[i] != '"') return;
    size_t key_end = SkipString(s, i);
    std::string_view key = s.substr(i + 1, key_end - i - 2);
    i = SkipSpace(s, key_end);
    if (i >= s.size() || s[i] != ':') return;
    i = SkipSpace(s, i + 1);
    size_t value_end = SkipValue(s, i);
    std::string_view value = TrimRight(s.substr(i, value_end - i));
    if (key == "type") {
      m->presence_type = StringContents(value);
    } else if (key == "id") {
      m->presence_id = StringContents(value);
    } else if (key == "info") {
      m->presence_info = value;
    }
    i = SkipSpace(s, value_end);
    if (i >= s.size() || s[i] != ',') return;
    ++i;
  }
}

}  // namespace

ScannedMessage ScanMessage(std::string_view s) {
  ScannedMessage m;
  size_t i = SkipSpace(s, 0);
  if (i >= s.size() || s[i] != '{') return m;
  ++i;
  std::string_view type, message;
  while (true) {
    i = SkipSpace(s, i);
    if (i >= s.size() || s[i] != '"') break;
    size_t key_end = SkipString(s, i);
    std::string_view key = s.substr(i + 1, key_end - i - 2);
    i = SkipSpace(s, key_end);
    if (i >= s.size() || s[i] != ':') break;
    i = SkipSpace(s, i + 1);
    size_t value_end = SkipValue(s, i);
    std::string_view value = s.substr(i, value_end - i);
    if (key == "type" && value.size() >= 2 && value.front() == '"') {
      type = value.substr(1, value.size() - 2);
      // Pings are a third of all frames on an idle run: stop as soon as we know.
      if (type == "ping") break;
    } else if (key == "message") {
      message = value;
    } else if (key == "reason") {
      m.reason = StringContents(value);
    } else if (key == "offset") {
      m.has_offset = ParseUnsigned(value, &m.offset);
    } else if (key == "stream_id") {
      m.stream_id = StringContents(value);
    } else if (key == "epoch") {
      m.epoch = StringContents(value);
    } else if (key == "sid") {
      m.sid = StringContents(value);
    } else if (key == "restored") {
      m.restored = TrimRight(value) == "true";
    } else if (key == "restored_ids") {
      m.restored_ids = value;
    }
    i = SkipSpace(s, value_end);
    if (i < s.size() && s[i] == ',') {
      ++i;
      continue;
    }
    break;
  }
  m.message = message;
  if (!type.empty()) {
    m.kind = KindOf(type);
    if (m.kind == MessageKind::kPresence) ScanPresence(message, &m);
    return m;
  }
  m.kind = MessageKind::kData;
  m.has_ts = FindInt(message, "ts", &m.ts);
  m.has_seq = FindInt(message, "seq", &m.seq);
  m.broadcast_result = message.find("broadcastResult") != std::string_view::npos;
  return m;
}

}  // namespace cable::bench
