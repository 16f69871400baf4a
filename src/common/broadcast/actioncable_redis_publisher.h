#pragma once
// Publishing to a Rails Action Cable server through its Redis subscription
// adapter, as `ActionCable.server.broadcast` does:
//
//   PUBLISH <stream> <data>                    (no channel_prefix)
//   PUBLISH <channel_prefix>:<stream> <data>   (cable.yml sets one)
//
// where <data> is the publication's already JSON-encoded payload (Action
// Cable's coder output), which the server decodes and sends to subscribers
// as `message`. A remote disconnect is what
// `ActionCable.server.remote_connections.where(...).disconnect` publishes on
// the connection's internal channel:
//
//   PUBLISH [<channel_prefix>:]action_cable/<identifier values>
//   {"type":"disconnect","reconnect":..}
//
// with the identifier values sorted and joined by ':' (Action Cable's
// connection_identifier; Rails 6.1 ignores `reconnect`, 7.1+ honours it).
// Action Cable broadcasts carry no metadata: exclude_socket and transient
// are refused rather than silently dropped.

#include <memory>
#include <string>

#include "common/broadcast/publisher.h"
#include "common/broadcast/redis_publisher.h"

namespace cable::broadcast {

class ActionCableRedisPublisher : public Publisher {
 public:
  ActionCableRedisPublisher(std::unique_ptr<RedisPublisher> redis, std::string channel_prefix);

  // An AnyCable body (a publication, a batch or a disconnect command) is
  // translated as above; anything else is an Error "invalid_message".
  Status PublishRaw(const std::string& body) override;
  Status Publish(const Publication& p) override;
  Status PublishBatch(const std::vector<Publication>& batch) override;
  Status Disconnect(const RemoteDisconnect& d) override;

 private:
  // Action Cable's channel_with_prefix: the prefix and the name joined by ':'.
  std::string Channel(const std::string& name) const;

  std::unique_ptr<RedisPublisher> redis_;
  std::string prefix_;
};

// Action Cable's connection_identifier for an AnyCable identifiers string:
// a JSON object's values (strings as they are, others as JSON) sorted and
// joined by ':'; any other string is used as it is.
std::string ActionCableConnectionIdentifier(const std::string& identifiers);

}  // namespace cable::broadcast
