#pragma once
// The server's Redis settings (--redis_url, --redis_sentinels, the
// --redis_tls_* flags) as one broadcast::RedisUrl, the form every Redis
// connection of the server is opened from.

#include "common/broadcast/redis_url.h"
#include "common/result.h"
#include "server/config.h"

namespace cable::server {

// Error "bad_config" naming the setting at fault.
Result<broadcast::RedisUrl> RedisUrlOf(const ServerConfig& config);

}  // namespace cable::server
