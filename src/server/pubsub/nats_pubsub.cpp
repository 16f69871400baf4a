#include "server/pubsub/nats_pubsub.h"

#include "common/log.h"
#include "server/broadcast/broadcaster.h"
#include "server/nats/nats_subject.h"
#include "server/pubsub/pubsub_message.h"

namespace cable::server {

NatsPubSub::NatsPubSub(NatsSettings settings, std::string channel)
    : settings_(std::move(settings)),
      channel_(std::move(channel)),
      conn_("NATS pub/sub", [this](std::string_view subject, std::string_view payload) {
        IngressSink sink{handlers_.broadcast, handlers_.command, nullptr, {}};
        DeliverPublication(payload, sink,
                           subject == channel_ ? "NATS pub/sub commands" : "NATS pub/sub");
      }) {}

NatsPubSub::~NatsPubSub() {
  Stop();
}

Status NatsPubSub::Start(Handlers handlers) {
  handlers_ = std::move(handlers);
  if (Status s = conn_.Connect(settings_); !s) return s;
  return conn_.Subscribe(channel_);
}

void NatsPubSub::Stop() {
  conn_.Close();
}

void NatsPubSub::Subscribe(const std::string& stream) {
  if (Status s = conn_.Subscribe(NatsSubjectFor(stream)); !s) {
    log::Warn("NATS pub/sub: {}", s.error().message);
  }
}

void NatsPubSub::Unsubscribe(const std::string& stream) {
  conn_.Unsubscribe(NatsSubjectFor(stream));
}

void NatsPubSub::Publish(const Broadcast& broadcast) {
  Send(NatsSubjectFor(broadcast.stream), EncodeBroadcast(broadcast));
}

void NatsPubSub::PublishCommand(const RemoteCommand& command) {
  Send(channel_, EncodeCommand(command));
}

void NatsPubSub::Send(const std::string& subject, const std::string& payload) {
  if (conn_.connected()) {
    Status s = conn_.Publish(subject, payload);
    if (s.ok()) return;
    log::Warn("NATS pub/sub: {}; delivering on this node only", s.error().message);
  }
  IngressSink sink{handlers_.broadcast, handlers_.command, nullptr, {}};
  DeliverPublication(payload, sink, "NATS pub/sub (local delivery)");
}

}  // namespace cable::server
