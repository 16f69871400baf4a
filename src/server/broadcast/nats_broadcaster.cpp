#include "server/broadcast/nats_broadcaster.h"

namespace cable::server {

NatsBroadcaster::NatsBroadcaster(NatsSettings settings, std::string subject, IngressSink sink)
    : settings_(std::move(settings)),
      subject_(std::move(subject)),
      sink_(std::move(sink)),
      source_("NATS subject " + subject_),
      conn_("NATS broadcast adapter", [this](std::string_view, std::string_view payload) {
        DeliverPublication(payload, sink_, source_);
      }) {}

NatsBroadcaster::~NatsBroadcaster() {
  Stop();
}

Status NatsBroadcaster::Start() {
  if (Status s = conn_.Connect(settings_); !s) return s;
  return conn_.Subscribe(subject_);
}

void NatsBroadcaster::Stop() {
  conn_.Close();
}

}  // namespace cable::server
