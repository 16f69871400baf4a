#pragma once
// Server-Sent Events as anycable-go writes them (spec §11.1): an optional
// `event: <type>` line, the payload as `data:` lines, `id:
// <offset>/<epoch>/<stream>` when the message has a stream position, and
// `retry: 31536000000` on a disconnect that must not be retried; a blank
// line ends the event. EventSource rejoins the `data:` lines with "\n", so a
// payload with line breaks (CR, LF or CRLF) arrives whole.

#include <cstdint>
#include <string>
#include <string_view>

#include "server/protocol/messages.h"

namespace cable::server::protocol {

// A year: EventSource then effectively never reconnects on its own.
inline constexpr std::string_view kSseNoRetryMs = "31536000000";

struct SseEvent {
  std::string_view type = {};  // empty: a data event (`message` for EventSource)
  std::string_view data = {};
  Position position = {};         // written as `id:` when it has all three parts
  bool forbid_reconnect = false;  // adds the `retry:` line
};

// Appends the event, its terminating blank line included.
void AppendSseEvent(std::string& out, const SseEvent& event);

// The `Last-Event-ID` a client sends back: the `id:` of the last event it
// got. False when `value` is not `<offset>/<epoch>/<stream>` (anycable-go
// then ignores it) — or has a bad offset, which `*bad_offset` reports
// (anycable-go answers 400).
struct LastEventId {
  uint64_t offset = 0;
  std::string epoch;
  std::string stream;
};
bool ParseLastEventId(std::string_view value, LastEventId* out, bool* bad_offset);

}  // namespace cable::server::protocol
