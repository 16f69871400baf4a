#include "server/pubsub/make_pubsub.h"

#include <algorithm>

#include "common/broadcast/redis_url.h"
#include "common/log.h"
#include "server/nats/nats_connection.h"
#include "server/nats/nats_settings.h"
#include "server/pubsub/nats_pubsub.h"
#include "server/pubsub/redis_pubsub.h"
#include "server/redis/redis_settings.h"

namespace cable::server {

std::string ResolvePubSubAdapter(const ServerConfig& config) {
  if (!config.pubsub_adapter.empty()) return config.pubsub_adapter;
  const auto& adapters = config.broadcast_adapters;
  const bool redisx = std::find(adapters.begin(), adapters.end(), "redisx") != adapters.end();
  // Brokers shared by nodes deliver through the same server they store in.
  if (config.broker == BrokerAdapter::kRedis) return "redis";
  if (config.broker == BrokerAdapter::kNats) return "nats";
  if (redisx || config.redis_url != ServerConfig().redis_url) return "redis";
  return "none";
}

Result<std::unique_ptr<PubSub>> MakePubSub(const ServerConfig& config) {
  const std::string adapter = ResolvePubSubAdapter(config);
  if (adapter == "none") return std::unique_ptr<PubSub>();
  if (adapter == "redis") {
    auto url = RedisUrlOf(config);
    if (!url.ok()) return url.error();
    std::string channel = config.redis_pubsub_channel;
    const auto& adapters = config.broadcast_adapters;
    if (channel == config.redis_channel &&
        std::find(adapters.begin(), adapters.end(), "redis") != adapters.end()) {
      // As anycable-go: the `redis` adapter would take remote commands for
      // publications (and the other way round).
      channel += "-int";
      log::Warn(
          "redis_pubsub.channel is the `redis` broadcast adapter's channel ({}); the pub/sub "
          "uses {} instead",
          config.redis_channel, channel);
    }
    return std::unique_ptr<PubSub>(std::make_unique<RedisPubSub>(*url, channel));
  }
  if (adapter == "nats") {
    if (Status s = ValidateNatsServers(config.nats_servers); !s) return s.error();
    return std::unique_ptr<PubSub>(
        std::make_unique<NatsPubSub>(NatsSettingsOf(config), config.nats_pubsub_channel));
  }
  return Error{"bad_config",
               "unknown pub/sub adapter \"" + adapter + "\" (known: redis, nats, none)"};
}

}  // namespace cable::server
