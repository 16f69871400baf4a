#pragma once
// Opening a Redis connection the way a URL and its settings ask, shared by
// the `cable broadcast` publisher and the server's Redis connections: with
// Sentinel, ask for the master's address first; connect (TLS for rediss://)
// within the timeout; then AUTH and SELECT when the URL has a password or a
// database, and with Sentinel check with ROLE that the server still is the
// master (a sentinel may answer with a stale address during a failover).

#include <chrono>
#include <memory>

#include "common/broadcast/redis_url.h"
#include "common/broadcast/redis_wire.h"
#include "common/result.h"

namespace cable::broadcast {

// Errors: "unreachable" (no connection, no sentinel answer, TLS handshake or
// certificate refused), "timeout", "tls" (unusable TLS settings),
// "unauthorized" (AUTH refused), "redis_error" (SELECT refused, not a
// master), "closed"/"io_error" (the connection failed during setup).
Result<std::unique_ptr<RedisWire>> OpenRedis(const RedisUrl& url,
                                             std::chrono::milliseconds timeout);

}  // namespace cable::broadcast
