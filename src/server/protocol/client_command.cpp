#include "server/protocol/client_command.h"

#include <nlohmann/json.hpp>

#include "common/json_depth.h"

namespace cable::server::protocol {
namespace {

using json = nlohmann::json;

bool LookupType(const std::string& name, CommandType* out) {
  static const std::pair<const char*, CommandType> kCommands[] = {
      {"subscribe", CommandType::kSubscribe}, {"unsubscribe", CommandType::kUnsubscribe},
      {"message", CommandType::kMessage},     {"whisper", CommandType::kWhisper},
      {"ping", CommandType::kPing},           {"pong", CommandType::kPong},
      {"history", CommandType::kHistory},     {"presence", CommandType::kPresence},
      {"join", CommandType::kJoin},           {"leave", CommandType::kLeave},
  };
  for (auto& [n, t] : kCommands) {
    if (name == n) {
      *out = t;
      return true;
    }
  }
  return false;
}

Error Fail(const char* code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace

Result<ClientCommand> ParseClientCommand(std::string_view frame) {
  if (!JsonDepthWithin(frame)) {
    return Fail("too_deep", "frame nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  json doc = json::parse(frame.begin(), frame.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Fail("invalid_json", "frame is not valid JSON");
  if (doc.is_null()) return Fail("ignored", "null frame");
  if (!doc.is_object()) return Fail("not_an_object", "frame is not a JSON object");

  auto cmd_it = doc.find("command");
  if (cmd_it == doc.end()) return Fail("unknown_command", "frame has no \"command\"");
  if (!cmd_it->is_string()) return Fail("invalid_field", "\"command\" must be a string");

  ClientCommand cmd;
  const auto& name = cmd_it->get_ref<const std::string&>();
  if (!LookupType(name, &cmd.type))
    return Fail("unknown_command", "unknown command \"" + name + "\"");

  if (auto it = doc.find("identifier"); it != doc.end() && !it->is_null()) {
    if (!it->is_string()) return Fail("invalid_field", "\"identifier\" must be a string");
    cmd.identifier = it->get<std::string>();
  }
  const bool needs_identifier = cmd.type != CommandType::kPing && cmd.type != CommandType::kPong;
  if (needs_identifier && cmd.identifier.empty()) {
    return Fail("missing_identifier", "\"" + name + "\" needs an \"identifier\"");
  }

  if (auto it = doc.find("data"); it != doc.end() && !it->is_null()) {
    if (cmd.type == CommandType::kMessage) {
      if (!it->is_string())
        return Fail("invalid_field", "\"data\" of a message must be a JSON-encoded string");
      cmd.data = it->get<std::string>();
    } else {
      cmd.data = it->dump();
    }
  }
  if (cmd.type == CommandType::kMessage && cmd.data.empty()) {
    return Fail("missing_data", "\"message\" needs \"data\"");
  }
  if (cmd.type == CommandType::kWhisper && cmd.data.empty()) {
    return Fail("missing_data", "\"whisper\" needs \"data\"");
  }
  if (auto it = doc.find("history"); it != doc.end() && it->is_object()) cmd.history = it->dump();
  if (auto it = doc.find("presence"); it != doc.end() && it->is_object()) cmd.presence = it->dump();
  return cmd;
}

}  // namespace cable::server::protocol
