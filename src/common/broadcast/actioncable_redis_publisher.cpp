#include "common/broadcast/actioncable_redis_publisher.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace cable::broadcast {
namespace {

using Json = nlohmann::json;

// Bodies come from scenario files and stdin: bound the nesting the parser
// may follow before anything is published.
constexpr int kMaxBodyDepth = 64;

bool TooDeep(const std::string& body) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '[' || c == '{') {
      if (++depth > kMaxBodyDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

Error Invalid(const std::string& why) {
  return Error{"invalid_message", "actioncable-redis: " + why};
}

Result<Publication> PublicationFrom(const Json& j) {
  if (!j.is_object() || !j.contains("stream") || !j["stream"].is_string() || !j.contains("data") ||
      !j["data"].is_string())
    return Invalid("expected {\"stream\":..,\"data\":..} with string values");
  Publication p;
  p.stream = j["stream"].get<std::string>();
  p.data = j["data"].get<std::string>();
  if (auto meta = j.find("meta"); meta != j.end() && meta->is_object()) {
    if (auto ex = meta->find("exclude_socket"); ex != meta->end() && ex->is_string())
      p.exclude_socket = ex->get<std::string>();
    if (auto tr = meta->find("transient"); tr != meta->end() && tr->is_boolean())
      p.transient = tr->get<bool>();
  }
  return p;
}

}  // namespace

std::string ActionCableConnectionIdentifier(const std::string& identifiers) {
  Json j = Json::parse(identifiers, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return identifiers;
  std::vector<std::string> values;
  for (const auto& [k, v] : j.items())
    values.push_back(v.is_string() ? v.get<std::string>()
                                   : v.dump(-1, ' ', false, Json::error_handler_t::replace));
  std::sort(values.begin(), values.end());
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ":" : "") + values[i];
  return out;
}

ActionCableRedisPublisher::ActionCableRedisPublisher(std::unique_ptr<RedisPublisher> redis,
                                                     std::string channel_prefix)
    : redis_(std::move(redis)), prefix_(std::move(channel_prefix)) {}

std::string ActionCableRedisPublisher::Channel(const std::string& name) const {
  return prefix_.empty() ? name : prefix_ + ":" + name;
}

Status ActionCableRedisPublisher::Publish(const Publication& p) {
  if (p.exclude_socket)
    return Error{"unsupported",
                 "actioncable-redis: Action Cable broadcasts have no exclude_socket"};
  if (p.transient)
    return Error{"unsupported",
                 "actioncable-redis: Action Cable broadcasts have no transient flag"};
  return redis_->PublishOn(Channel(p.stream), p.data);
}

Status ActionCableRedisPublisher::PublishBatch(const std::vector<Publication>& batch) {
  // Action Cable has no batches: one PUBLISH each, in order.
  for (const auto& p : batch) {
    if (Status s = Publish(p); !s) return s;
  }
  return Status::Ok();
}

Status ActionCableRedisPublisher::Disconnect(const RemoteDisconnect& d) {
  std::string body = std::string("{\"type\":\"disconnect\",\"reconnect\":") +
                     (d.reconnect ? "true" : "false") + "}";
  return redis_->PublishOn(
      Channel("action_cable/" + ActionCableConnectionIdentifier(d.identifiers)), body);
}

Status ActionCableRedisPublisher::PublishRaw(const std::string& body) {
  if (TooDeep(body)) return Invalid("the body nests too deeply");
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded()) return Invalid("the body is not JSON");
  if (j.is_object() && j.contains("command")) {
    const Json& payload = j.value("payload", Json::object());
    if (j["command"] != "disconnect" || !payload.is_object() || !payload.contains("identifier") ||
        !payload["identifier"].is_string())
      return Invalid("only the disconnect command with a string identifier is supported");
    RemoteDisconnect d;
    d.identifiers = payload["identifier"].get<std::string>();
    d.reconnect = payload.value("reconnect", false);
    return Disconnect(d);
  }
  if (j.is_array()) {
    std::vector<Publication> batch;
    for (const auto& item : j) {
      auto p = PublicationFrom(item);
      if (!p.ok()) return p.error();
      batch.push_back(std::move(*p));
    }
    return PublishBatch(batch);
  }
  auto p = PublicationFrom(j);
  if (!p.ok()) return p.error();
  return Publish(*p);
}

}  // namespace cable::broadcast
