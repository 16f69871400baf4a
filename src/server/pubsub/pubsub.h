#pragma once
// Node-to-node pub/sub (spec §8.3): carries broadcasts accepted by one node
// to every node that has subscribers for the stream, and remote commands to
// every node. Only streams with local subscribers are subscribed.
//
// Implementations (Redis, NATS) own their connections and threads; they
// reconnect on their own and restore their subscriptions after a reconnect.

#include <functional>
#include <string>

#include "common/result.h"
#include "server/broadcast/publication_parser.h"
#include "server/hub/broadcast.h"

namespace cable::server {

class PubSub {
 public:
  struct Handlers {
    std::function<void(BroadcastPtr)> broadcast;        // deliver to this node's hub
    std::function<void(const RemoteCommand&)> command;  // run on this node
  };

  virtual ~PubSub() = default;
  virtual Status Start(Handlers handlers) = 0;
  virtual void Stop() = 0;
  // Thread-safe. Subscribe/Unsubscribe are called on the first/last local
  // subscriber of a stream; they must not block the caller on the network.
  virtual void Subscribe(const std::string& stream) = 0;
  virtual void Unsubscribe(const std::string& stream) = 0;
  virtual void Publish(const Broadcast& broadcast) = 0;
  virtual void PublishCommand(const RemoteCommand& command) = 0;
  // True when a Publish now reaches the other nodes; while false (server
  // unreachable, not yet connected) it is delivered on this node only.
  virtual bool connected() { return true; }
  // Runs `ready` (on any thread) once every Subscribe made before this call
  // is in effect at the server, so that nothing published from then on can
  // pass this node by. A history read waits for it: a message stored
  // between the read and the subscription would be in neither. Runs it at
  // once when there is nothing to wait for (or no way to know).
  virtual void AfterSubscribed(std::function<void()> ready) { ready(); }
};

}  // namespace cable::server
