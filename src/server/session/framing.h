#pragma once
// How a session's messages are put on its connection: WebSocket text frames,
// Pusher events in WebSocket text frames (spec §11.4, pusher/encoder.h),
// or Server-Sent Events in the body of a chunked HTTP response (spec §11.1).
// A session is one or the other for its whole life; everything it sends —
// broadcasts from the hub, pings, replies, the close — goes through these
// encoders, so the session itself does not care which transport it has.
//
// SSE comes in four variants that encode a broadcast differently, and the
// hub keeps subscribers of different variants apart, so that one encoded
// frame is still shared by every subscriber that gets the same bytes:
// - full (POST requests) sends whole Action Cable messages as `data:`;
// - message (GET, EventSource) sends only the `message` of data messages;
// - raw (`?raw=1`, either kind) sends data messages only: no welcome,
//   confirmation, ping or disconnect event.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/hub/broadcast.h"
#include "server/session/frame_ref.h"

namespace cable::server {

enum class Framing : uint8_t {
  kWebSocket,
  kSseFull,
  kSseMessage,
  kSseFullRaw,
  kSseMessageRaw,
  kPusher,
};
inline constexpr size_t kFramingCount = 6;

constexpr bool IsSse(Framing f) {
  return f != Framing::kWebSocket && f != Framing::kPusher;
}
constexpr Framing SseFraming(bool message_only, bool raw) {
  if (message_only) return raw ? Framing::kSseMessageRaw : Framing::kSseMessage;
  return raw ? Framing::kSseFullRaw : Framing::kSseFull;
}

// A message the server built or an application transmitted (JSON text).
// Empty when the framing does not carry it (typed messages in raw SSE).
FrameRef EncodeMessage(Framing framing, std::string_view json);

// A broadcast (or a message replayed from history) for one subscription.
// Empty when the framing does not carry it.
FrameRef EncodeBroadcast(Framing framing, std::string_view identifier, const Broadcast& broadcast);

// What ends the connection: a close frame, or the last chunk of the SSE
// response.
std::string EncodeEnd(Framing framing, uint16_t code, std::string_view reason);

// The SSE event wrapped as one HTTP/1.1 chunk, as the response body carries it.
std::string SseChunk(std::string_view event);

}  // namespace cable::server
