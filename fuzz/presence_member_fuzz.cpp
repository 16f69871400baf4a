// Fuzzes protocol::ParsePresenceMember, which reads the `presence` object
// a client sends with join and subscribe commands: JSON chosen by the
// client, parsed on the worker thread. It must never throw or crash, and
// what it accepts must keep its promises: a non-empty id of at most
// kMaxPresenceId bytes, info of at most kMaxPresenceInfo bytes that is
// itself JSON, and events and info replies built from it that are JSON.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "fuzz_check.h"
#include "server/protocol/presence_messages.h"

namespace protocol = cable::server::protocol;
using cable::server::PresenceEvent;
using cable::server::PresenceList;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)protocol::PresenceQueryOmitsRecords(text);
  auto member = protocol::ParsePresenceMember(text);
  if (!member.ok()) {
    FUZZ_CHECK(member.error().code == "invalid_presence", "an error with another code");
    FUZZ_CHECK(!member.error().message.empty(), "an error without a message");
    return 0;
  }
  FUZZ_CHECK(!member->id.empty() && member->id.size() <= protocol::kMaxPresenceId, "a bad id");
  FUZZ_CHECK(member->info.size() <= protocol::kMaxPresenceInfo, "info over the limit");
  FUZZ_CHECK(member->info.empty() || nlohmann::json::accept(member->info), "info not JSON");
  const auto event =
      protocol::PresenceEventData({PresenceEvent::Kind::kJoin, member->id, member->info});
  FUZZ_CHECK(nlohmann::json::accept(event), "a join event that is not JSON");
  const auto info = protocol::PresenceInfoJson(PresenceList{{*member}});
  FUZZ_CHECK(nlohmann::json::accept(info), "an info reply that is not JSON");
  return 0;
}
