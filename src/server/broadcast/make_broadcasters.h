#pragma once
// Builds the ingress adapters listed in config.broadcast_adapters (spec
// §8.2), except `http`, which the HTTP listener serves. Fan-out adapters
// (`redis`, `nats`) deliver to this node only, since every node receives
// their messages; `redisx` hands each publication to Node::Publish, so the
// one node that consumed it spreads it through the pub/sub.

#include <memory>
#include <vector>

#include "common/result.h"
#include "server/broadcast/broadcaster.h"

namespace cable::server {

class Node;

// An Error names an unknown adapter or a malformed Redis/NATS URL. No
// connection is made yet: Broadcaster::Start() does that.
Result<std::vector<std::unique_ptr<Broadcaster>>> MakeBroadcasters(Node& node);

}  // namespace cable::server
