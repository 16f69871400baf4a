#pragma once
// The bytes `cable bench` sends: message payloads carrying the publish
// timestamp and sequence number, and Action Cable commands around them.
//
// Builders append to a caller-owned buffer that is reused for every
// message, so once it has grown to the largest message nothing allocates.

#include <cstdint>
#include <string>
#include <string_view>

namespace cable::bench {

class PositionTracker;

// Appends `{"action":"<action>","seq":N,"ts":T,"pad":"xxx"}` (no action key
// when `action` is empty), padded so the object is `size` bytes long (or as
// short as it can be when `size` is smaller). A `padding` >= 0 asks for a
// pad of exactly that many bytes instead (websocket-bench's
// --payload-padding).
void AppendPayload(std::string& out, std::string_view action, int64_t seq, int64_t ts, int size,
                   int padding = -1);

// Appends `s` escaped as the contents of a JSON string (no quotes).
void AppendJsonEscaped(std::string& out, std::string_view s);

// `{"command":"subscribe","identifier":"<identifier>"}`.
std::string SubscribeCommand(std::string_view identifier);

// Appends `{"command":"message","identifier":"<escaped identifier>",
// "data":"<escaped data>"}`; `escaped_identifier` is precomputed once.
void AppendPerformCommand(std::string& out, std::string_view escaped_identifier,
                          std::string_view data);

// Appends `{"command":"<command>","identifier":"<escaped identifier>",
// "history":{...}}` asking for what came after the last positions
// `positions` holds: `command` "history" for a restored subscription,
// "subscribe" to subscribe again and replay in one go.
void AppendHistoryCommand(std::string& out, std::string_view command,
                          std::string_view escaped_identifier, const PositionTracker& positions,
                          int64_t since_unix_s);

}  // namespace cable::bench
