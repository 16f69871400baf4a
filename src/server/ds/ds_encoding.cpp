#include "server/ds/ds_encoding.h"

#include <nlohmann/json.hpp>

namespace cable::server::ds {

namespace {

void AppendMessage(std::string& out, const Broadcast& b) {
  if (b.data_is_json) {
    out += b.data;
    return;
  }
  out += nlohmann::json(b.data).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string JsonString(std::string_view s) {
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string JsonBatch(std::span<const BroadcastPtr> messages) {
  std::string out = "[";
  for (size_t i = 0; i < messages.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendMessage(out, *messages[i]);
  }
  out.push_back(']');
  return out;
}

std::string SseDataEvent(std::span<const BroadcastPtr> messages) {
  std::string batch = JsonBatch(messages);
  // Raw CR and LF can only be whitespace between JSON tokens (inside
  // strings they are escaped): CR goes, LF splits the event's data lines.
  std::erase(batch, '\r');
  std::string out = "event: data\n";
  size_t start = 0;
  while (true) {
    const size_t nl = batch.find('\n', start);
    const std::string_view line = std::string_view(batch).substr(start, nl - start);
    out += "data:";
    out += line;
    out += '\n';
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  out += '\n';
  return out;
}

std::string SseControlEvent(std::string_view next_offset, std::string_view cursor,
                            bool up_to_date) {
  std::string out = "event: control\ndata:{";
  if (!cursor.empty()) out += "\"streamCursor\":" + JsonString(cursor) + ",";
  out += "\"streamNextOffset\":" + JsonString(next_offset);
  if (up_to_date) out += ",\"upToDate\":true";
  out += "}\n\n";
  return out;
}

}  // namespace cable::server::ds
