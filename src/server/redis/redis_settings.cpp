#include "server/redis/redis_settings.h"

#include "common/broadcast/redis_sentinel_roster.h"

namespace cable::server {

Result<broadcast::RedisUrl> RedisUrlOf(const ServerConfig& config) {
  auto url = broadcast::ParseRedisUrl(config.redis_url);
  if (!url.ok()) return Error{"bad_config", "--redis_url: " + url.error().message};
  if (Status s = broadcast::AddRedisSentinels(*url, config.redis_sentinels); !s) {
    return Error{"bad_config", "--redis_sentinels: " + s.error().message};
  }
  // As Go's dialer takes a zero keep-alive: its default, 15 s. A dead peer
  // must be noticed, so a negative value (off in Go) is taken the same way.
  url->keepalive = std::chrono::seconds(
      config.redis_keepalive_interval_s > 0 ? config.redis_keepalive_interval_s : 15);
  if (url->UsesSentinel()) {
    url->roster = broadcast::SentinelRoster::Shared(
        url->host, url->sentinels,
        std::chrono::seconds(config.redis_sentinel_discovery_interval_s));
  }
  url->tls_settings.verify = config.redis_tls_verify;
  url->tls_settings.ca_file = config.redis_tls_ca_cert_path;
  url->tls_settings.cert_file = config.redis_tls_client_cert_path;
  url->tls_settings.key_file = config.redis_tls_client_key_path;
  if (url->tls_settings.cert_file.empty() != url->tls_settings.key_file.empty()) {
    return Error{"bad_config",
                 "--redis_tls_client_cert_path and --redis_tls_client_key_path go together"};
  }
  return url;
}

}  // namespace cable::server
