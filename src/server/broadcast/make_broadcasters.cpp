#include "server/broadcast/make_broadcasters.h"

#include "common/broadcast/redis_url.h"
#include "server/broadcast/nats_broadcaster.h"
#include "server/broadcast/redis_broadcaster.h"
#include "server/broadcast/redisx_broadcaster.h"
#include "server/nats/nats_connection.h"
#include "server/nats/nats_settings.h"
#include "server/node.h"
#include "server/redis/redis_settings.h"
#include "server/transport/request_info.h"

namespace cable::server {

Result<std::vector<std::unique_ptr<Broadcaster>>> MakeBroadcasters(Node& node) {
  const ServerConfig& config = node.config();
  IngressSink local;  // fan-out: this node's clients only
  local.broadcast = [&node](BroadcastPtr b) { node.DeliverOnThisNode(std::move(b)); };
  local.command = [&node](const RemoteCommand& c) {
    node.DisconnectOnThisNode(c.identifiers, c.reconnect);
  };
  local.metrics = &node.metrics();
  IngressSink everywhere = local;  // one node consumes, the pub/sub spreads
  everywhere.broadcast = [&node](BroadcastPtr b) { node.Publish(std::move(b)); };
  everywhere.command = [&node](const RemoteCommand& c) {
    node.PublishRemoteDisconnect(c.identifiers, c.reconnect);
  };
  everywhere.can_spread = [&node] {
    return node.pubsub() == nullptr || node.pubsub()->connected();
  };

  std::vector<std::unique_ptr<Broadcaster>> out;
  for (const auto& name : config.broadcast_adapters) {
    if (name == "http") continue;
    if (name == "redis" || name == "redisx") {
      auto url = RedisUrlOf(config);
      if (!url.ok()) return url.error();
      if (name == "redis") {
        out.push_back(std::make_unique<RedisBroadcaster>(*url, config.redis_channel, local));
      } else {
        const std::string consumer = config.node_id.empty() ? RandomSid() : config.node_id;
        RedisxSettings settings{config.redisx_stream, config.redisx_group,
                                std::chrono::milliseconds(config.redisx_read_block_ms)};
        out.push_back(
            std::make_unique<RedisxBroadcaster>(*url, std::move(settings), consumer, everywhere));
      }
    } else if (name == "nats") {
      if (Status s = ValidateNatsServers(config.nats_servers); !s) return s.error();
      out.push_back(
          std::make_unique<NatsBroadcaster>(NatsSettingsOf(config), config.nats_channel, local));
    } else {
      return Error{"bad_config",
                   "unknown broadcast adapter \"" + name + "\" (known: http, redis, redisx, nats)"};
    }
  }
  return out;
}

}  // namespace cable::server
