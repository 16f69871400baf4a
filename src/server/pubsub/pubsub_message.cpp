#include "server/pubsub/pubsub_message.h"

#include <nlohmann/json.hpp>

namespace cable::server {

std::string EncodeBroadcast(const Broadcast& broadcast) {
  nlohmann::json j{{"stream", broadcast.stream}, {"data", broadcast.data}};
  nlohmann::json meta = nlohmann::json::object();
  if (!broadcast.exclude_socket.empty()) meta["exclude_socket"] = broadcast.exclude_socket;
  if (broadcast.transient) meta["transient"] = true;
  if (!broadcast.type.empty()) meta["broadcast_type"] = broadcast.type;
  if (!meta.empty()) j["meta"] = std::move(meta);
  if (!broadcast.epoch.empty()) {
    j["offset"] = broadcast.offset;
    j["epoch"] = broadcast.epoch;
  }
  // Data is relayed as received; invalid UTF-8 must not throw here.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string EncodeCommand(const RemoteCommand& command) {
  nlohmann::json j{
      {"command", "disconnect"},
      {"payload", {{"identifier", command.identifiers}, {"reconnect", command.reconnect}}}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace cable::server
