#pragma once
// Presence on the wire (spec §2.6): the `presence` object of join and
// subscribe commands, the events broadcast to a presence stream, and the
// info replies (WebSocket and REST API share the info object).

#include <string>
#include <string_view>

#include "common/result.h"
#include "server/presence/presence.h"

namespace cable::server::protocol {

// A presence id longer than this is not an id; info larger than this is
// not presence data (records are kept per member and every member
// receives each join, so both are bounded).
inline constexpr size_t kMaxPresenceId = 256;
inline constexpr size_t kMaxPresenceInfo = 4096;

// `{"id":"u1","info":{...}}` as a client sends it. A JSON number id is
// taken as its decimal text (clients pass user ids as they have them).
// Error code "invalid_presence".
Result<PresenceMember> ParsePresenceMember(std::string_view json);
// The member an RPC reply names: `info` is JSON text, used as is when it
// parses and sent as a JSON string otherwise (spec §4.2).
Result<PresenceMember> PresenceMemberFromRpc(std::string id, std::string_view info);
// Whether a `presence` query's data asks to leave the records out
// (`{"return_records":false}`; records are returned otherwise).
bool PresenceQueryOmitsRecords(std::string_view data);

// What a presence event broadcasts: `{"type":"join","info":{..},"id":".."}`
// or `{"type":"leave","id":".."}`, field order as anycable-go.
std::string PresenceEventData(const PresenceEvent& event);
// `{"type":"info","total":N,"records":[{"info":..,"id":..}]}`; records are
// left out when empty or not wanted.
std::string PresenceInfoJson(const PresenceList& list, bool with_records = true);
// `{"type":"presence","identifier":..,"message":<info>}`.
std::string PresenceReply(std::string_view identifier, std::string_view info_json);
// The reply when presence cannot be read: message `{"type":"error","total":0}`.
std::string PresenceErrorReply(std::string_view identifier);

}  // namespace cable::server::protocol
