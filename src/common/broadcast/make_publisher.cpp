// Chooses and configures the publisher for PublisherConfig::adapter. URLs are
// validated here so that a typo is reported before anything is sent.

#include <fmt/format.h>

#include "common/broadcast/actioncable_redis_publisher.h"
#include "common/broadcast/api_publisher.h"
#include "common/broadcast/http_publisher.h"
#include "common/broadcast/nats_publisher.h"
#include "common/broadcast/publisher.h"
#include "common/broadcast/redis_publisher.h"
#include "common/http/url.h"
#include "common/strings.h"

namespace cable::broadcast {

Result<std::unique_ptr<Publisher>> MakePublisher(const PublisherConfig& config) {
  const std::chrono::milliseconds timeout(config.timeout_ms > 0 ? config.timeout_ms : 5000);
  http::ClientOptions options = PublishClientOptions(timeout);
  options.tls_ca_file = config.http_tls_ca_file;
  options.tls_verify = config.http_tls_verify;
  std::unique_ptr<Publisher> publisher;
  if (config.adapter == "http") {
    auto url = http::ParseUrl(config.http_url);
    if (!url) return url.error();
    publisher =
        std::make_unique<HttpPublisher>(std::move(*url), config.broadcast_key, std::move(options));
  } else if (config.adapter == "api") {
    // The REST API takes the broadcast endpoint's bodies and answers alike.
    auto url = ApiPublishUrl(config.api_url);
    if (!url) return url.error();
    publisher = std::make_unique<HttpPublisher>(std::move(*url), config.api_key, std::move(options),
                                                "API key");
  } else if (config.adapter == "redis" || config.adapter == "redisx") {
    auto url = ParseRedisUrl(config.redis_url);
    if (!url) return url.error();
    if (Status s = AddRedisSentinels(*url, config.redis_sentinels); !s) return s.error();
    url->tls_settings = config.redis_tls;
    const bool stream = config.adapter == "redisx";
    publisher = std::make_unique<RedisPublisher>(
        std::move(*url), stream ? RedisPublisher::Mode::kStream : RedisPublisher::Mode::kPubSub,
        stream ? config.redisx_stream : config.redis_channel, timeout);
  } else if (config.adapter == "actioncable-redis") {
    auto url = ParseRedisUrl(config.redis_url);
    if (!url) return url.error();
    if (Status s = AddRedisSentinels(*url, config.redis_sentinels); !s) return s.error();
    url->tls_settings = config.redis_tls;
    publisher = std::make_unique<ActionCableRedisPublisher>(
        std::make_unique<RedisPublisher>(std::move(*url), RedisPublisher::Mode::kPubSub,
                                         config.redis_channel, timeout),
        config.actioncable_channel_prefix);
  } else if (config.adapter == "nats") {
    auto servers = SplitList(config.nats_servers);
    if (servers.empty()) return Error{"bad_url", "no NATS servers given"};
    publisher = std::make_unique<NatsPublisher>(std::move(servers), config.nats_channel, timeout);
  } else {
    return Error{"unknown_adapter",
                 fmt::format("unknown broadcast adapter \"{}\" (expected http, api, redis, "
                             "redisx, nats or actioncable-redis)",
                             config.adapter)};
  }
  return publisher;
}

}  // namespace cable::broadcast
