#include "server/broker/make_broker.h"

#include "common/broadcast/redis_url.h"
#include "server/broker/memory_broker.h"
#include "server/broker/nats_broker.h"
#include "server/broker/redis_broker.h"
#include "server/nats/nats_connection.h"
#include "server/nats/nats_settings.h"
#include "server/pubsub/make_pubsub.h"
#include "server/redis/redis_settings.h"

namespace cable::server {

namespace {
BrokerLimits LimitsOf(const ServerConfig& config) {
  BrokerLimits limits;
  limits.history_limit = static_cast<size_t>(config.history_limit);
  limits.history_ttl_s = config.history_ttl_s;
  limits.sessions_ttl_s = config.sessions_ttl_s;
  limits.presence_ttl_s = config.presence_ttl_s;
  return limits;
}
}  // namespace

Result<std::unique_ptr<Broker>> MakeBroker(const ServerConfig& config) {
  if (config.broker == BrokerAdapter::kNone) return std::unique_ptr<Broker>();
  if (config.history_limit <= 0 || config.history_ttl_s <= 0) {
    return Error{"bad_config", "--history_limit and --history_ttl must be positive with a broker"};
  }
  switch (config.broker) {
    case BrokerAdapter::kMemory:
      return std::unique_ptr<Broker>(std::make_unique<MemoryBroker>(LimitsOf(config)));
    case BrokerAdapter::kRedis: {
      auto url = RedisUrlOf(config);
      if (!url.ok()) return url.error();
      const bool publishes = ResolvePubSubAdapter(config) == "redis";
      return std::unique_ptr<Broker>(
          std::make_unique<RedisBroker>(*url, LimitsOf(config), publishes));
    }
    case BrokerAdapter::kNats:
      if (Status s = ValidateNatsServers(config.nats_servers); !s.ok()) return s.error();
      return std::unique_ptr<Broker>(
          std::make_unique<NatsBroker>(NatsSettingsOf(config), LimitsOf(config)));
    case BrokerAdapter::kNone:
      break;
  }
  return std::unique_ptr<Broker>();
}

}  // namespace cable::server
