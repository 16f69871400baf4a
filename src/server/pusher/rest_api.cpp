#include "server/pusher/rest_api.h"

#include <nlohmann/json.hpp>

#include "common/json_depth.h"
#include "server/protocol/json_writer.h"

namespace cable::server::pusher {

namespace {

using json = nlohmann::json;

Error Invalid(std::string message) {
  return Error{"invalid_event", std::move(message)};
}

std::string StringOr(const json& doc, const char* name, bool* ok) {
  auto it = doc.find(name);
  if (it == doc.end() || it->is_null()) return {};
  if (!it->is_string()) {
    *ok = false;
    return {};
  }
  return it->get<std::string>();
}

}  // namespace

Result<std::vector<BroadcastPtr>> ParseEvents(std::string_view body) {
  if (!JsonDepthWithin(body)) return Invalid("the event nests too deep");
  json doc = json::parse(body.begin(), body.end(), nullptr, false);
  if (!doc.is_object()) return Invalid("the body must be a JSON object");
  bool ok = true;
  const std::string name = StringOr(doc, "name", &ok);
  const std::string data = StringOr(doc, "data", &ok);
  const std::string channel = StringOr(doc, "channel", &ok);
  const std::string socket_id = StringOr(doc, "socket_id", &ok);
  if (!ok) return Invalid("name, data, channel and socket_id must be strings");
  if (name.empty()) return Invalid("the event needs a name");
  std::vector<std::string> channels;
  if (!channel.empty()) {
    channels.push_back(channel);
  } else if (auto list = doc.find("channels"); list != doc.end() && list->is_array()) {
    if (list->size() > kMaxEventChannels) {
      return Invalid("an event goes to at most 100 channels");
    }
    for (const auto& c : *list) {
      if (!c.is_string() || c.get<std::string>().empty()) {
        return Invalid("channels must be non-empty strings");
      }
      channels.push_back(c.get<std::string>());
    }
  }
  if (channels.empty()) return Invalid("the event needs a channel or channels");

  // What subscribers decode back into the event (anycable-go's shape).
  std::string payload = R"({"event":)";
  protocol::AppendJsonString(payload, name);
  payload += R"(,"data":)";
  protocol::AppendJsonString(payload, data);
  payload += '}';
  std::vector<BroadcastPtr> out;
  out.reserve(channels.size());
  for (auto& c : channels) out.push_back(MakeBroadcast(std::move(c), payload, socket_id));
  return out;
}

std::string UsersChannel(std::string_view path) {
  static constexpr std::string_view kPrefix = "/channels/";
  static constexpr std::string_view kSuffix = "/users";
  if (path.size() <= kPrefix.size() + kSuffix.size() || !path.starts_with(kPrefix) ||
      !path.ends_with(kSuffix)) {
    return {};
  }
  path = path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size());
  if (path.size() > 0 && path.size() < 1024 && path.find('/') == std::string_view::npos) {
    return std::string(path);
  }
  return {};
}

std::string UsersJson(const PresenceList& list) {
  std::string out = R"({"users":[)";
  for (size_t i = 0; i < list.records.size(); ++i) {
    if (i > 0) out += ',';
    out += R"({"id":)";
    protocol::AppendJsonString(out, list.records[i].id);
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace cable::server::pusher
