#include "server/pusher/client_events.h"

#include <nlohmann/json.hpp>

#include "common/json_depth.h"
#include "common/strings.h"
#include "server/protocol/json_writer.h"
#include "server/pusher/encoder.h"
#include "server/pusher/signatures.h"

namespace cable::server::pusher {

namespace {

using json = nlohmann::json;
using protocol::ClientCommand;
using protocol::CommandType;

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

ClientEvent Problem(std::string problem) {
  ClientEvent out;
  out.reply = ErrorEvent(problem, kErrorGeneric);
  out.problem = std::move(problem);
  return out;
}

ClientEvent Command(CommandType type, std::string identifier = {}) {
  ClientCommand cmd;
  cmd.type = type;
  cmd.identifier = std::move(identifier);
  return ClientEvent{std::move(cmd), {}, {}};
}

std::string StringField(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The member a presence channel's channel_data names, as the session's
// join takes it: {"id":<user_id>,"info":<user_info>}. Empty when
// channel_data names no user.
std::string PresenceOf(const std::string& channel_data) {
  if (!JsonDepthWithin(channel_data)) return {};
  json doc = json::parse(channel_data, nullptr, false);
  if (!doc.is_object()) return {};
  auto id = doc.find("user_id");
  // Pusher documents a string; apps often pass their numeric ids.
  if (id == doc.end() || !(id->is_string() || id->is_number_integer())) return {};
  std::string out = R"({"id":)";
  out += id->is_string() ? Dump(*id) : Dump(json(Dump(*id)));
  if (auto info = doc.find("user_info"); info != doc.end() && !info->is_null()) {
    out += R"(,"info":)";
    out += Dump(*info);
  }
  out += '}';
  return out;
}

ClientEvent Subscribe(const json& data, const Settings& settings, std::string_view socket_id) {
  std::string channel = StringField(data, "channel");
  if (channel.size() > kMaxChannelName) channel.clear();
  const ChannelKind kind = KindOf(channel);
  std::string presence;
  bool authorized = !channel.empty();
  if (authorized && kind != ChannelKind::kPublic) {
    const std::string auth = StringField(data, "auth");
    const std::string channel_data =
        kind == ChannelKind::kPresence ? StringField(data, "channel_data") : std::string();
    authorized =
        ChannelAuthValid(settings.app_key, settings.secret, socket_id, channel, channel_data, auth);
    if (authorized && kind == ChannelKind::kPresence) {
      presence = PresenceOf(channel_data);
      authorized = !presence.empty();
    }
  }
  // Refused channels are subscribed as the empty one, which is rejected.
  ClientEvent out = Command(CommandType::kSubscribe, Identifier(authorized ? channel : ""));
  out.command->presence = std::move(presence);
  return out;
}

// A client event is relayed to the channel's other subscribers as it came:
// {"event","channel","data"} in anycable-go's field order.
ClientEvent Whisper(const std::string& event, const json& doc) {
  auto channel = doc.find("channel");
  if (channel == doc.end() || !channel->is_string() || channel->get<std::string>().empty()) {
    return Problem("client events need a channel");
  }
  ClientEvent out = Command(CommandType::kWhisper, Identifier(channel->get<std::string>()));
  std::string& data = out.command->data;
  data = R"({"event":)";
  protocol::AppendJsonString(data, event);
  data += R"(,"channel":)";
  data += Dump(*channel);
  data += R"(,"data":)";
  auto value = doc.find("data");
  data += value == doc.end() ? "null" : Dump(*value);
  data += '}';
  return out;
}

}  // namespace

ClientEvent TranslateClientEvent(std::string_view frame, const Settings& settings,
                                 std::string_view socket_id) {
  if (!JsonDepthWithin(frame)) return Problem("message nests too deep");
  json doc = json::parse(frame.begin(), frame.end(), nullptr, false);
  if (!doc.is_object()) return Problem("message must be a JSON object");
  auto event_it = doc.find("event");
  if (event_it == doc.end() || !event_it->is_string()) return Problem("message needs an event");
  const std::string event = event_it->get<std::string>();

  if (event == "pusher:ping") return Command(CommandType::kPing);
  if (event == "pusher:pong") return Command(CommandType::kPong);
  if (event == "pusher:subscribe" || event == "pusher:unsubscribe") {
    auto data = doc.find("data");
    if (data == doc.end() || !data->is_object()) return Problem(event + " needs a data object");
    if (event == "pusher:subscribe") return Subscribe(*data, settings, socket_id);
    const std::string channel = StringField(*data, "channel");
    if (channel.empty()) return Problem("pusher:unsubscribe needs a channel");
    return Command(CommandType::kUnsubscribe, Identifier(channel));
  }
  if (event.starts_with("client-")) return Whisper(event, doc);
  // Quote at most a few dozen bytes of what the client sent.
  constexpr size_t kQuoted = 64;
  return Problem("unsupported event: " + std::string(Utf8Prefix(event, kQuoted)));
}

}  // namespace cable::server::pusher
