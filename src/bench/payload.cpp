#include "bench/payload.h"

#include <charconv>

#include "bench/position_tracker.h"

namespace cable::bench {

namespace {
void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}
}  // namespace

void AppendPayload(std::string& out, std::string_view action, int64_t seq, int64_t ts, int size,
                   int padding) {
  size_t start = out.size();
  out.push_back('{');
  if (!action.empty()) {
    out.append("\"action\":\"");
    out.append(action);
    out.append("\",");
  }
  out.append("\"seq\":");
  AppendInt(out, seq);
  out.append(",\"ts\":");
  AppendInt(out, ts);
  constexpr std::string_view kPad = ",\"pad\":\"\"}";
  size_t used = out.size() - start + kPad.size();
  if (padding >= 0) size = static_cast<int>(used) + padding;
  if (static_cast<size_t>(size) > used) {
    out.append(",\"pad\":\"");
    out.append(static_cast<size_t>(size) - used, 'x');
    out.append("\"}");
  } else {
    out.push_back('}');
  }
}

void AppendJsonEscaped(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      out.append("\\u00");
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
}

std::string SubscribeCommand(std::string_view identifier) {
  std::string out = "{\"command\":\"subscribe\",\"identifier\":\"";
  AppendJsonEscaped(out, identifier);
  out.append("\"}");
  return out;
}

void AppendPerformCommand(std::string& out, std::string_view escaped_identifier,
                          std::string_view data) {
  out.append("{\"command\":\"message\",\"identifier\":\"");
  out.append(escaped_identifier);
  out.append("\",\"data\":\"");
  AppendJsonEscaped(out, data);
  out.append("\"}");
}

void AppendHistoryCommand(std::string& out, std::string_view command,
                          std::string_view escaped_identifier, const PositionTracker& positions,
                          int64_t since_unix_s) {
  out.append("{\"command\":\"");
  out.append(command);
  out.append("\",\"identifier\":\"");
  out.append(escaped_identifier);
  out.append("\",\"history\":");
  positions.AppendHistoryRequest(out, since_unix_s);
  out.push_back('}');
}

}  // namespace cable::bench
