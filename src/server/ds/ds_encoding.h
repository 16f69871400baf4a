#pragma once
// The bytes of Durable Streams responses, as anycable-go writes them: a
// JSON array of the messages' data for reads, and for SSE mode `data`
// events carrying such an array followed by `control` events with the
// position to resume from.

#include <span>
#include <string>
#include <string_view>

#include "server/hub/broadcast.h"

namespace cable::server::ds {

// `[d1,d2,...]`: each broadcast's data as it was published (JSON), or as a
// JSON string when it was not JSON, so the body always parses.
std::string JsonBatch(std::span<const BroadcastPtr> messages);

// `event: data\ndata:[...]\n\n`. A batch spanning several lines (data
// published pretty-printed) gets one `data:` line per line, which
// EventSource joins back with the newlines.
std::string SseDataEvent(std::span<const BroadcastPtr> messages);

// `event: control\ndata:{"streamCursor":..,"streamNextOffset":..,"upToDate":true}\n\n`
// (keys in this order; cursor omitted when empty, upToDate when false).
std::string SseControlEvent(std::string_view next_offset, std::string_view cursor, bool up_to_date);

}  // namespace cable::server::ds
