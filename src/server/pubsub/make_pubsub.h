#pragma once
// Chooses and builds the node-to-node pub/sub (spec §8.3).
//
// `--pubsub` redis | nats | none; when not given: the broker's own server
// with `--broker redis` or `nats`; `redis` if a Redis URL other than the
// default is configured (--redis_url, REDIS_URL) or the
// `redisx` adapter is used (its publications reach one node only), else
// `none` (broadcasts stay on the node that accepted them).

#include <memory>
#include <string>

#include "common/result.h"
#include "server/config.h"
#include "server/pubsub/pubsub.h"

namespace cable::server {

// "redis", "nats" or "none".
std::string ResolvePubSubAdapter(const ServerConfig& config);

// nullptr for "none"; an Error names an unknown adapter or a bad URL.
Result<std::unique_ptr<PubSub>> MakePubSub(const ServerConfig& config);

}  // namespace cable::server
