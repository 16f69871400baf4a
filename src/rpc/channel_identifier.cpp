#include "rpc/channel_identifier.h"

#include "rpc/limits.h"

namespace cable::rpc {

Result<ChannelIdentifier> ParseIdentifier(std::string_view identifier) {
  if (identifier.empty()) return Error{"bad_request", "identifier is empty"};
  auto parsed = ParseJson(identifier, limits::kMaxIdentifierBytes);
  if (!parsed.ok()) return Error{"bad_request", "identifier " + parsed.error().message};
  if (!parsed->is_object()) return Error{"bad_request", "identifier is not a JSON object"};
  auto ch = parsed->find("channel");
  if (ch == parsed->end() || !ch->is_string()) {
    return Error{"bad_request", "identifier has no \"channel\" string"};
  }
  ChannelIdentifier out;
  out.channel = ch->get<std::string>();
  parsed->erase("channel");
  out.params = std::move(*parsed);
  return out;
}

Result<Json> ParseConnectionIdentifiers(std::string_view identifiers) {
  if (identifiers.empty()) return Json::object();
  auto parsed = ParseJson(identifiers, limits::kMaxIdentifierBytes);
  if (!parsed.ok()) {
    return Error{"bad_request", "connection identifiers " + parsed.error().message};
  }
  if (!parsed->is_object()) {
    return Error{"bad_request", "connection identifiers are not a JSON object"};
  }
  return std::move(*parsed);
}

}  // namespace cable::rpc
