#pragma once
// Ingress adapters that receive publications from a server outside the
// process (spec §8.2): Redis Pub/Sub (`redis`), Redis Streams (`redisx`) and
// NATS (`nats`). Each runs on its own thread(s), reconnects on its own, and
// hands every publication to an IngressSink. The `http` adapter is not one
// of these: it is a route of the server's HTTP listener.

#include <functional>
#include <string_view>

#include "common/result.h"
#include "server/broadcast/publication_parser.h"
#include "server/hub/broadcast.h"
#include "server/metrics/metrics.h"

namespace cable::server {

// Where an adapter's publications go. Fan-out adapters (every node receives
// the message itself) deliver to this node only; the others publish through
// the node-to-node pub/sub.
struct IngressSink {
  std::function<void(BroadcastPtr)> broadcast;
  std::function<void(const RemoteCommand&)> command;
  Metrics* metrics = nullptr;
  // Empty, or false while `broadcast` would not reach the other nodes (the
  // pub/sub is down): adapters that hold messages (redisx) wait instead of
  // taking them.
  std::function<bool()> can_spread;
};

// Parses one received body and hands it to `sink`; an unparsable body is
// logged (naming `source`) and counted as a failed broadcast.
void DeliverPublication(std::string_view body, const IngressSink& sink, std::string_view source);

class Broadcaster {
 public:
  virtual ~Broadcaster() = default;
  // Starts receiving in the background. An unreachable server is not an
  // error (the adapter keeps retrying and logs it); a bad configuration is.
  virtual Status Start() = 0;
  // Stops receiving; returns once no more publications will be delivered.
  virtual void Stop() = 0;
};

}  // namespace cable::server
