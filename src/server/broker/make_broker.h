#pragma once
// Builds the broker --broker names (spec §9): none, memory, redis or nats.

#include <memory>

#include "common/result.h"
#include "server/broker/broker.h"
#include "server/config.h"

namespace cable::server {

// nullptr for `none`; an Error for settings that cannot work (a bad URL,
// a history limit of zero).
Result<std::unique_ptr<Broker>> MakeBroker(const ServerConfig& config);

}  // namespace cable::server
