#include "server/protocol/sse_event.h"

#include <charconv>

namespace cable::server::protocol {

namespace {
// Each line break of the payload starts a new `data:` field; CRLF counts
// as one break, a lone CR or LF as one each (all three end a line in SSE).
void AppendDataLines(std::string& out, std::string_view data) {
  out += "data: ";
  size_t start = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    if (c != '\n' && c != '\r') continue;
    out.append(data.substr(start, i - start));
    out += "\ndata: ";
    if (c == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
    start = i + 1;
  }
  out.append(data.substr(start));
}
}  // namespace

void AppendSseEvent(std::string& out, const SseEvent& event) {
  if (!event.type.empty()) {
    out += "event: ";
    out += event.type;
    out += '\n';
  }
  AppendDataLines(out, event.data);
  const Position& p = event.position;
  if (p.offset > 0 && !p.epoch.empty() && !p.stream_id.empty()) {
    out += "\nid: ";
    out += std::to_string(p.offset);
    out += '/';
    out += p.epoch;
    out += '/';
    out += p.stream_id;
  }
  if (event.forbid_reconnect) {
    out += "\nretry: ";
    out += kSseNoRetryMs;
  }
  out += "\n\n";
}

bool ParseLastEventId(std::string_view value, LastEventId* out, bool* bad_offset) {
  *bad_offset = false;
  const size_t first = value.find('/');
  if (first == std::string_view::npos) return false;
  const size_t second = value.find('/', first + 1);
  if (second == std::string_view::npos) return false;
  const std::string_view offset = value.substr(0, first);
  uint64_t parsed = 0;
  auto [end, ec] = std::from_chars(offset.data(), offset.data() + offset.size(), parsed);
  if (offset.empty() || ec != std::errc() || end != offset.data() + offset.size()) {
    *bad_offset = true;
    return false;
  }
  out->offset = parsed;
  out->epoch = std::string(value.substr(first + 1, second - first - 1));
  // The stream is the rest: stream names may contain `/` themselves.
  out->stream = std::string(value.substr(second + 1));
  return true;
}

}  // namespace cable::server::protocol
