// Fuzzes protocol::ParseClientCommand, which turns every text frame a client
// sends into a command (subscribe, message, whisper, history, ...). It runs
// on the worker thread for each frame of every connection, on JSON chosen by
// the client, so it must never throw, crash or recurse without bound.
//
// Input: the frame's payload, as the session hands it over. Besides crashes,
// the target checks what the header promises of a parsed command: commands
// other than ping/pong carry an identifier, message and whisper carry data,
// and the fields kept as JSON text (whisper data, history, presence) parse
// again.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "fuzz_check.h"
#include "server/protocol/client_command.h"

namespace protocol = cable::server::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  auto parsed = protocol::ParseClientCommand(frame);
  if (!parsed.ok()) {
    FUZZ_CHECK(!parsed.error().code.empty(), "error without a code");
    FUZZ_CHECK(!parsed.error().message.empty(), "error without a message");
    return 0;
  }
  const protocol::ClientCommand& cmd = *parsed;
  using protocol::CommandType;
  if (cmd.type != CommandType::kPing && cmd.type != CommandType::kPong) {
    FUZZ_CHECK(!cmd.identifier.empty(), "command accepted without an identifier");
  }
  if (cmd.type == CommandType::kMessage || cmd.type == CommandType::kWhisper) {
    FUZZ_CHECK(!cmd.data.empty(), "message or whisper accepted without data");
  }
  if (cmd.type != CommandType::kMessage && !cmd.data.empty()) {
    FUZZ_CHECK(nlohmann::json::accept(cmd.data), "re-serialised data is not JSON");
  }
  if (!cmd.history.empty()) {
    auto history = nlohmann::json::parse(cmd.history, nullptr, false);
    FUZZ_CHECK(history.is_object(), "history kept as something other than a JSON object");
  }
  if (!cmd.presence.empty()) {
    auto presence = nlohmann::json::parse(cmd.presence, nullptr, false);
    FUZZ_CHECK(presence.is_object(), "presence kept as something other than a JSON object");
  }
  return 0;
}
