#pragma once
// Node-to-node pub/sub over NATS (spec §8.3): the subject of a stream is its
// name; remote commands use `__anycable_internal__`. Only streams with
// local subscribers are subscribed. libnats reconnects and restores the
// subscriptions by itself.
//
// Exactly once, and the outage rule, as for Redis: while connected a
// broadcast goes to NATS only (this node receives it back like the
// others); while disconnected it is delivered to this node's clients only,
// instead of being buffered for a late, out-of-date delivery.
//
// Stream names with spaces or `*`/`>` are not valid NATS subjects; they are
// not translated (as in anycable-go), so subscribing to them fails and is
// logged.

#include <string>

#include "server/nats/nats_connection.h"
#include "server/pubsub/pubsub.h"
#include "server/pubsub/pubsub_message.h"

namespace cable::server {

class NatsPubSub : public PubSub {
 public:
  // `channel` carries remote commands (nats_pubsub.channel).
  explicit NatsPubSub(NatsSettings settings, std::string channel = kInternalChannel);
  ~NatsPubSub() override;

  Status Start(Handlers handlers) override;
  void Stop() override;
  void Subscribe(const std::string& stream) override;
  void Unsubscribe(const std::string& stream) override;
  void Publish(const Broadcast& broadcast) override;
  void PublishCommand(const RemoteCommand& command) override;
  bool connected() override { return conn_.connected(); }

 private:
  void Send(const std::string& subject, const std::string& payload);

  NatsSettings settings_;
  const std::string channel_;
  Handlers handlers_;
  NatsConnection conn_;
};

}  // namespace cable::server
