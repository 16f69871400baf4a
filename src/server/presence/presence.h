#pragma once
// Presence (spec §2.6): who is in a stream. A record per presence id per
// stream, however many sessions share the id; `info` is the JSON its
// latest join gave. Plain values shared by the brokers, the session and
// the REST API.

#include <cstdint>
#include <string>
#include <vector>

namespace cable::server {

struct PresenceMember {
  std::string id;
  std::string info;  // raw JSON text; empty = no info
};

struct PresenceEvent {
  enum class Kind : uint8_t { kJoin, kLeave };
  Kind kind = Kind::kJoin;
  std::string id;
  std::string info;  // joins only; raw JSON text, empty = none
};

// A stream's records, in join order.
struct PresenceList {
  std::vector<PresenceMember> records;
};

// Error codes of presence calls.
namespace presence_codes {
inline constexpr const char* kUnsupported = "presence_unsupported";  // broker without presence
inline constexpr const char* kMismatch =
    "presence_id_mismatch";  // the session joined as another id
inline constexpr const char* kNotJoined = "presence_not_joined";  // leave without a join
}  // namespace presence_codes

}  // namespace cable::server
