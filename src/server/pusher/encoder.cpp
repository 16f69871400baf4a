#include "server/pusher/encoder.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/json_depth.h"
#include "server/protocol/json_writer.h"
#include "server/pusher/pusher_settings.h"

namespace cable::server::pusher {

namespace {

using json = nlohmann::json;

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

json Parse(std::string_view text) {
  if (!JsonDepthWithin(text)) return json(json::value_t::discarded);
  return json::parse(text.begin(), text.end(), nullptr, false);
}

std::string StringField(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// {"event":E[,"data":D][,"channel":C]}: `data_json` is JSON text (a string
// literal for Pusher's string-typed data).
std::string Event(std::string_view event, std::string_view data_json, std::string_view channel) {
  std::string out = R"({"event":)";
  protocol::AppendJsonString(out, event);
  if (!data_json.empty()) {
    out += R"(,"data":)";
    out.append(data_json);
  }
  if (!channel.empty()) {
    out += R"(,"channel":)";
    protocol::AppendJsonString(out, channel);
  }
  out += '}';
  return out;
}

std::string JsonString(std::string_view text) {
  std::string out;
  protocol::AppendJsonString(out, text);
  return out;
}

// The Pusher channel an identifier of ours names.
std::string ChannelOf(const json& message) {
  json id = Parse(StringField(message, "identifier"));
  if (!id.is_object() || StringField(id, "channel") != kChannelName) return {};
  return StringField(id, "stream");
}

std::optional<std::string> PresenceEvent(std::string_view channel, const json& event) {
  const std::string type = StringField(event, "type");
  const std::string id = StringField(event, "id");
  std::string data = R"({"user_id":)";
  protocol::AppendJsonString(data, id);
  if (type == "join") {
    if (auto info = event.find("info"); info != event.end() && !info->is_null()) {
      data += R"(,"user_info":)";
      data += Dump(*info);
    }
    data += '}';
    return Event("pusher_internal:member_added", JsonString(data), channel);
  }
  if (type == "leave") {
    data += '}';
    return Event("pusher_internal:member_removed", JsonString(data), channel);
  }
  return std::nullopt;
}

}  // namespace

std::string ErrorEvent(std::string_view message, int code) {
  std::string data = R"({"message":)";
  protocol::AppendJsonString(data, message);
  data += fmt::format(R"(,"code":{}}})", code);
  return Event("pusher:error", data, {});
}

std::optional<std::string> EncodeMessage(std::string_view action_cable_json) {
  json msg = Parse(action_cable_json);
  if (!msg.is_object()) return std::nullopt;
  const std::string type = StringField(msg, "type");
  if (type == "welcome") {
    std::string data = R"({"socket_id":)";
    protocol::AppendJsonString(data, StringField(msg, "sid"));
    data += fmt::format(R"(,"activity_timeout":{}}})", kActivityTimeoutS);
    return Event("pusher:connection_established", JsonString(data), {});
  }
  if (type == "confirm_subscription") {
    const std::string channel = ChannelOf(msg);
    if (channel.empty()) return std::nullopt;
    return Event("pusher_internal:subscription_succeeded", R"("{}")", channel);
  }
  if (type == "reject_subscription") return ErrorEvent("rejected", kErrorUnauthorized);
  if (type == "disconnect") {
    auto reconnect = msg.find("reconnect");
    const bool again = reconnect != msg.end() && reconnect->is_boolean() && reconnect->get<bool>();
    return ErrorEvent(StringField(msg, "reason"), again ? kErrorGeneric : kErrorUnauthorized);
  }
  if (type == "ping") return std::string(R"({"event":"pusher:ping","data":{}})");
  if (type == "pong") return std::string(R"({"event":"pusher:pong"})");
  return std::nullopt;
}

std::optional<std::string> EncodeBroadcast(std::string_view channel, const Broadcast& broadcast) {
  if (!broadcast.data_is_json) return std::nullopt;
  json data = Parse(broadcast.data);
  if (!data.is_object()) return std::nullopt;
  if (broadcast.type == "presence") return PresenceEvent(channel, data);
  const std::string event = StringField(data, "event");
  if (event.empty()) return std::nullopt;
  std::string payload;
  if (auto it = data.find("data"); it != data.end()) {
    // null is left out, as Go's omitempty does.
    if (!it->is_null()) payload = Dump(*it);
  } else {
    payload = Dump(data);
  }
  return Event(event, payload, channel);
}

std::string PresenceSubscriptionSucceeded(std::string_view channel, const PresenceList& members,
                                          const PresenceMember& self) {
  json ids = json::array();
  json hash = json::object();
  auto add = [&](const PresenceMember& m) {
    if (hash.contains(m.id)) return;
    ids.push_back(m.id);
    json info = m.info.empty() ? json(nullptr) : Parse(m.info);
    hash[m.id] = info.is_discarded() ? json(nullptr) : std::move(info);
  };
  for (const auto& m : members.records) add(m);
  add(self);
  std::string data = fmt::format(R"({{"presence":{{"count":{},"ids":{},"hash":{}}}}})", ids.size(),
                                 Dump(ids), Dump(hash));
  return Event("pusher_internal:subscription_succeeded", JsonString(data), channel);
}

}  // namespace cable::server::pusher
