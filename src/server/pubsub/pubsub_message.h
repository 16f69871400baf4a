#pragma once
// What nodes send each other through the pub/sub (spec §8.3): the same JSON
// a backend publishes (spec §8.1), so the receiving side reads it with
// ParsePublication and anything on the wire can be inspected with the usual
// tools (`redis-cli subscribe`, `nats sub`).

#include <string>

#include "server/broadcast/publication_parser.h"
#include "server/hub/broadcast.h"

namespace cable::server {

// `{"stream":..,"data":..}` plus `"meta":{"exclude_socket":..,"transient":true,
// "broadcast_type":..}`
// and `"offset":..,"epoch":..` when set.
std::string EncodeBroadcast(const Broadcast& broadcast);
// `{"command":"disconnect","payload":{"identifier":..,"reconnect":..}}`.
std::string EncodeCommand(const RemoteCommand& command);

// The channel (Redis) or subject (NATS) every node subscribes to for remote
// commands.
inline constexpr const char* kInternalChannel = "__anycable_internal__";

}  // namespace cable::server
