#pragma once
// What the presence scenario says on the wire: member ids and the commands
// carrying them (spec §2.6).
//
// A member id is "<run tag>.<client>.<epoch>". The client number tells a
// receiver whose event it is, so it can look the action up (PresenceBoard)
// without the event carrying a timestamp — a leave carries nothing but the
// id. The epoch counts the client's rejoins: every join is a new member, so
// each join and each leave is one distinct event, and a dropped client that
// comes back within the server's presence TTL still produces a join (and,
// later, the leave of its previous id) instead of silently taking over its
// old record. The run tag keeps the members a previous run left behind on
// the same stream (they linger for the presence TTL) apart from this run's.
//
// Builders append to a caller-owned buffer, as payload.h does.

#include <cstdint>
#include <string>
#include <string_view>

namespace cable::bench {

struct MemberId {
  int client = -1;
  uint32_t epoch = 0;
};

enum class IdMatch : uint8_t {
  kOurs,     // this run's member: `client` and `epoch` are set
  kForeign,  // another run's (or another application's) member
  kInvalid,  // this run's tag, but not a member id this run makes
};

// A random tag of 6 lowercase letters and digits, different for every run.
std::string NewRunTag();

void AppendMemberId(std::string& out, std::string_view tag, int client, uint32_t epoch);
// `id` as it appears between the quotes of the event's JSON.
IdMatch ParseMemberId(std::string_view id, std::string_view tag, MemberId* out);

// {"command":"join","identifier":"<escaped
// identifier>","presence":{"id":"<id>","info":{"n":<client>}}}
void AppendJoinCommand(std::string& out, std::string_view escaped_identifier, std::string_view tag,
                       int client, uint32_t epoch);
// The subscribe command carrying the same presence: the server joins the
// member once the subscription is confirmed.
void AppendSubscribeWithPresence(std::string& out, std::string_view escaped_identifier,
                                 std::string_view tag, int client, uint32_t epoch);
// {"command":"leave","identifier":"<escaped identifier>"}
void AppendLeaveCommand(std::string& out, std::string_view escaped_identifier);
// {"command":"presence","identifier":"<escaped identifier>","data":{"return_records":true}}
void AppendPresenceQuery(std::string& out, std::string_view escaped_identifier);

}  // namespace cable::bench
