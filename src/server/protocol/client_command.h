#pragma once
// Client -> server commands (spec §1.3). Parsing never throws: a frame that is
// not a command object yields an Error the session logs and skips, so one bad
// frame never stops a session from reading (unlike anycable-go, whose read
// loop silently stops).

#include <string>
#include <string_view>

#include "common/result.h"

namespace cable::server::protocol {

enum class CommandType {
  kSubscribe,
  kUnsubscribe,
  kMessage,
  kWhisper,
  kPing,
  kPong,
  kHistory,
  kPresence,
  kJoin,
  kLeave
};

struct ClientCommand {
  CommandType type = CommandType::kSubscribe;
  std::string identifier;
  // `message`: the client's `data` string verbatim (a JSON-encoded string).
  // `whisper`: the `data` value re-serialised as JSON.
  std::string data;
  std::string history;   // raw JSON of the `history` object, if any
  std::string presence;  // raw JSON of the `presence` object, if any
};

// Error codes: "invalid_json", "too_deep" (nesting over kMaxJsonDepth, refused
// before parsing because re-serialising recurses), "not_an_object", "invalid_field",
// "unknown_command", "missing_identifier", "missing_data". Code "ignored" for a literal `null`.
Result<ClientCommand> ParseClientCommand(std::string_view frame);

}  // namespace cable::server::protocol
