#include "server/session/framing.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/json_depth.h"
#include "common/ws/frame.h"
#include "server/protocol/messages.h"
#include "server/protocol/sse_event.h"
#include "server/pusher/encoder.h"

namespace cable::server {

namespace {

constexpr bool MessageOnly(Framing f) {
  return f == Framing::kSseMessage || f == Framing::kSseMessageRaw;
}
constexpr bool Raw(Framing f) {
  return f == Framing::kSseFullRaw || f == Framing::kSseMessageRaw;
}

FrameRef SseFrame(const protocol::SseEvent& event) {
  std::string text;
  text.reserve(event.data.size() + event.type.size() + 32);
  protocol::AppendSseEvent(text, event);
  return FrameRef::Make(SseChunk(text));
}

// Messages are read back from their JSON to learn what the event carries:
// they are few (replies, pings built once per tick, transmissions), while
// broadcasts, the bulk, never come this way.
FrameRef EncodeSseMessage(Framing framing, std::string_view text) {
  nlohmann::json doc;
  if (JsonDepthWithin(text)) {
    doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  }
  if (!doc.is_object()) return SseFrame({.data = text});  // sent as it came, untyped
  std::string type;
  if (auto it = doc.find("type"); it != doc.end() && it->is_string()) type = it->get<std::string>();
  if (!type.empty() && Raw(framing)) return {};

  std::string unwrapped;
  std::string_view data = text;
  if (type.empty() && MessageOnly(framing)) {
    // Only `message`: a string as its text, anything else as JSON.
    auto it = doc.find("message");
    if (it == doc.end()) {
      unwrapped = "null";
    } else if (it->is_string()) {
      unwrapped = it->get<std::string>();
    } else {
      unwrapped = it->dump();
    }
    data = unwrapped;
  }
  protocol::SseEvent event{.type = type, .data = data};
  std::string stream_id, epoch;
  if (auto it = doc.find("stream_id"); it != doc.end() && it->is_string())
    stream_id = it->get<std::string>();
  if (auto it = doc.find("epoch"); it != doc.end() && it->is_string())
    epoch = it->get<std::string>();
  if (auto it = doc.find("offset"); it != doc.end() && it->is_number_unsigned())
    event.position.offset = it->get<uint64_t>();
  event.position.stream_id = stream_id;
  event.position.epoch = epoch;
  if (type == "disconnect") {
    auto it = doc.find("reconnect");
    event.forbid_reconnect = !(it != doc.end() && it->is_boolean() && it->get<bool>());
  }
  return SseFrame(event);
}

}  // namespace

std::string SseChunk(std::string_view event) {
  std::string out = fmt::format("{:x}\r\n", event.size());
  out.reserve(out.size() + event.size() + 2);
  out.append(event);
  out += "\r\n";
  return out;
}

FrameRef EncodeMessage(Framing framing, std::string_view json) {
  if (framing == Framing::kWebSocket) {
    return FrameRef::Make(ws::EncodeFrame(ws::Opcode::kText, json));
  }
  if (framing == Framing::kPusher) {
    auto event = pusher::EncodeMessage(json);
    return event ? FrameRef::Make(ws::EncodeFrame(ws::Opcode::kText, *event)) : FrameRef();
  }
  return EncodeSseMessage(framing, json);
}

FrameRef EncodeBroadcast(Framing framing, std::string_view identifier, const Broadcast& broadcast) {
  if (framing == Framing::kWebSocket) {
    return FrameRef::Make(ws::EncodeFrame(
        ws::Opcode::kText,
        protocol::BroadcastMessage(identifier, broadcast.data, broadcast.data_is_json,
                                   PositionOf(broadcast), broadcast.type)));
  }
  if (framing == Framing::kPusher) {
    // A Pusher subscription's stream is its channel.
    auto event = pusher::EncodeBroadcast(broadcast.stream, broadcast);
    return event ? FrameRef::Make(ws::EncodeFrame(ws::Opcode::kText, *event)) : FrameRef();
  }
  const bool typed = !broadcast.type.empty();
  if (typed && Raw(framing)) return {};
  protocol::SseEvent event{.type = broadcast.type, .position = PositionOf(broadcast)};
  std::string whole;
  if (!typed && MessageOnly(framing)) {
    // The message is the broadcast's data: JSON as it came, or the string
    // itself (what the WebSocket message would carry as a JSON string).
    event.data = broadcast.data;
  } else {
    whole = protocol::BroadcastMessage(identifier, broadcast.data, broadcast.data_is_json,
                                       PositionOf(broadcast), broadcast.type);
    event.data = whole;
  }
  return SseFrame(event);
}

std::string EncodeEnd(Framing framing, uint16_t code, std::string_view reason) {
  if (!IsSse(framing)) return ws::EncodeClose(code, reason);
  return "0\r\n\r\n";  // the last chunk: the response is complete
}

}  // namespace cable::server
