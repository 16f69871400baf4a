#pragma once
// What the broker keeps of a session so that a reconnecting client can be
// restored without a new RPC Connect (spec §2.3). The JSON is anycable-go's
// cache entry, so a mixed cluster sharing a broker reads each other's:
//   {"ids":..,"subs":{<identifier>:[streams]},"cstate":{..},
//    "istate":{<identifier>:{..}},"Disconnectable":bool}

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "server/controller/controller.h"
#include "server/session/subscriptions.h"

namespace cable::server {

struct SessionSnapshot {
  std::string identifiers;
  StateMap cstate;
  bool disconnectable = false;
  // Identifier, streams and state of each subscription, in order.
  std::vector<Subscription> subscriptions;
};

std::string EncodeSessionSnapshot(const SessionSnapshot& snapshot);
// Error code "invalid_snapshot": a broker that answers garbage never
// restores a session.
Result<SessionSnapshot> DecodeSessionSnapshot(std::string_view json);

}  // namespace cable::server
