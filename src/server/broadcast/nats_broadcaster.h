#pragma once
// The `nats` broadcast adapter (spec §8.2): subscribes to one subject
// (default `__anycable__`); every message is a publication. Fan-out like
// `redis`: every node receives each message and delivers it to its own
// clients only. libnats reconnects and re-subscribes by itself; messages
// published while this node is disconnected are lost (core NATS).

#include <memory>
#include <string>

#include "server/broadcast/broadcaster.h"
#include "server/nats/nats_connection.h"

namespace cable::server {

class NatsBroadcaster : public Broadcaster {
 public:
  NatsBroadcaster(NatsSettings settings, std::string subject, IngressSink sink);
  ~NatsBroadcaster() override;

  Status Start() override;
  void Stop() override;

 private:
  NatsSettings settings_;
  std::string subject_;
  IngressSink sink_;
  std::string source_;
  NatsConnection conn_;
};

}  // namespace cable::server
