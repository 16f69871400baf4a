#include "server/broadcast/publication_parser.h"

#include <nlohmann/json.hpp>

#include "common/json_depth.h"

namespace cable::server {

namespace {
using json = nlohmann::json;

// A message type is a word such as `presence`; anything long is a mistake.
constexpr size_t kMaxBroadcastType = 64;

Error Invalid(std::string message) {
  return Error{"invalid_publication", std::move(message)};
}

Result<BroadcastPtr> ParseOne(const json& item) {
  if (!item.is_object()) return Invalid("publication must be a JSON object");
  auto stream = item.find("stream");
  if (stream == item.end() || !stream->is_string() ||
      stream->get_ref<const std::string&>().empty()) {
    return Invalid("publication needs a non-empty string \"stream\"");
  }
  auto data = item.find("data");
  if (data == item.end() || !data->is_string()) {
    return Invalid("publication \"data\" must be a string (the JSON-encoded payload)");
  }
  std::string exclude, type;
  bool transient = false;
  if (auto meta = item.find("meta"); meta != item.end() && meta->is_object()) {
    if (auto ex = meta->find("exclude_socket"); ex != meta->end() && ex->is_string()) {
      exclude = ex->get<std::string>();
    }
    if (auto t = meta->find("transient"); t != meta->end() && t->is_boolean()) {
      transient = t->get<bool>();
    }
    if (auto t = meta->find("broadcast_type"); t != meta->end() && t->is_string()) {
      const auto& value = t->get_ref<const std::string&>();
      if (value.size() > kMaxBroadcastType) {
        return Invalid("meta.broadcast_type is longer than " + std::to_string(kMaxBroadcastType) +
                       " bytes");
      }
      type = value;
    }
  }
  auto b = MakeBroadcast(stream->get<std::string>(), data->get<std::string>(), std::move(exclude));
  b->transient = transient;
  b->type = std::move(type);
  // Positions travel between nodes with the message (spec §8.3); a broker
  // gives publications from backends positions of its own.
  auto offset = item.find("offset");
  auto epoch = item.find("epoch");
  if (offset != item.end() && offset->is_number_unsigned() && epoch != item.end() &&
      epoch->is_string() && !epoch->get_ref<const std::string&>().empty()) {
    b->offset = offset->get<uint64_t>();
    b->epoch = epoch->get<std::string>();
  }
  return BroadcastPtr(std::move(b));
}
}  // namespace

Result<IngressMessage> ParsePublication(std::string_view body) {
  if (!JsonDepthWithin(body)) {
    return Invalid("body nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  json doc = json::parse(body.begin(), body.end(), nullptr, false);
  if (doc.is_discarded()) return Invalid("body is not valid JSON");
  IngressMessage out;
  if (doc.is_object() && doc.contains("stream")) {
    auto one = ParseOne(doc);
    if (!one.ok()) return one.error();
    out.broadcasts.push_back(std::move(one.value()));
    return out;
  }
  if (doc.is_array()) {
    if (doc.empty()) return Invalid("batch is empty");
    for (size_t i = 0; i < doc.size(); ++i) {
      auto one = ParseOne(doc[i]);
      if (!one.ok()) return Invalid("batch item " + std::to_string(i) + ": " + one.error().message);
      out.broadcasts.push_back(std::move(one.value()));
    }
    return out;
  }
  if (doc.is_object() && doc.contains("command")) {
    const auto& cmd = doc["command"];
    if (!cmd.is_string() || cmd.get<std::string>() != "disconnect") {
      return Invalid("unknown remote command");
    }
    auto payload = doc.find("payload");
    if (payload == doc.end() || !payload->is_object())
      return Invalid("disconnect needs a \"payload\" object");
    auto id = payload->find("identifier");
    if (id == payload->end() || !id->is_string()) {
      return Invalid("disconnect payload needs a string \"identifier\"");
    }
    RemoteCommand rc;
    rc.identifiers = id->get<std::string>();
    if (auto rec = payload->find("reconnect"); rec != payload->end() && rec->is_boolean()) {
      rc.reconnect = rec->get<bool>();
    }
    out.disconnects.push_back(std::move(rc));
    return out;
  }
  return Invalid("invalid publication format");
}

}  // namespace cable::server
