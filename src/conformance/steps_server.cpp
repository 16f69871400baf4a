// Steps that act on the server from outside the connection: broadcasts and
// remote disconnects through a publisher (as a backend would), restarts.

#include "conformance/client_runner.h"

namespace cable::conformance {

Result<broadcast::Publisher*> ClientRunner::PublisherFor(const std::string& adapter,
                                                         const std::string& key,
                                                         bool override_key) {
  std::string id = adapter + (override_key ? "|" + key : "");
  if (!publisher_ || publisher_id_ != id) {
    broadcast::PublisherConfig c = run_.target().Publishing(adapter);
    if (override_key) (adapter == "api" ? c.api_key : c.broadcast_key) = key;
    c.timeout_ms = static_cast<int>(run_.Scaled(Millis(5000)).count());
    auto p = broadcast::MakePublisher(c);
    if (!p.ok()) return p.error();
    publisher_ = std::move(*p);
    publisher_id_ = id;
  }
  return publisher_.get();
}

ClientRunner::Outcome ClientRunner::Do(const Step& s, const BroadcastStep& a) {
  std::string adapter = a.adapter.value_or(run_.settings().default_adapter);
  std::string key;
  if (a.key) {
    auto k = a.key->RenderText(*this);
    if (!k.ok()) return Failed(s, k.error().message);
    key = *k;
  }
  auto publisher = PublisherFor(adapter, key, a.key.has_value());
  if (!publisher.ok()) return Failed(s, "cannot publish: " + publisher.error().message);

  std::vector<std::string> bodies;
  if (a.body) {
    auto b = a.body->RenderText(*this);
    if (!b.ok()) return Failed(s, b.error().message);
    bodies.push_back(*b);
  } else {
    std::vector<broadcast::Publication> pubs;
    for (const auto& spec : a.publications) {
      broadcast::Publication p;
      auto stream = spec.stream.Render(*this);
      if (!stream.ok()) return Failed(s, stream.error().message);
      p.stream = AsText(*stream);
      auto data = spec.data.Render(*this);
      if (!data.ok()) return Failed(s, data.error().message);
      p.data = spec.raw_data ? AsText(*data) : Dump(*data);
      if (spec.exclude_socket) {
        auto ex = spec.exclude_socket->Render(*this);
        if (!ex.ok()) return Failed(s, ex.error().message);
        p.exclude_socket = AsText(*ex);
      }
      pubs.push_back(std::move(p));
    }
    if (a.batch) {
      bodies.push_back(broadcast::ToJson(pubs));
    } else {
      for (const auto& p : pubs) bodies.push_back(broadcast::ToJson(p));
    }
  }
  for (int i = 0; i < a.repeat; ++i) {
    for (const auto& body : bodies) {
      if (run_.aborted().load()) return Aborted();
      Status st = (*publisher)->PublishRaw(body);
      if (a.expect_error) {
        if (st.ok())
          return Failed(s, "the publication was accepted; expected error " + *a.expect_error);
        if (st.error().code != *a.expect_error)
          return Failed(s, "the publication failed with " + st.error().code + " (" +
                               st.error().message + "); expected error " + *a.expect_error);
        continue;
      }
      if (!st.ok()) return Failed(s, "cannot publish via " + adapter + ": " + st.error().message);
    }
  }
  return Ok();
}

ClientRunner::Outcome ClientRunner::Do(const Step& s, const RemoteDisconnectStep& a) {
  auto ids = a.identifiers.Render(*this);
  if (!ids.ok()) return Failed(s, ids.error().message);
  std::string adapter = a.adapter.value_or(run_.settings().default_adapter);
  auto publisher = PublisherFor(adapter, "", false);
  if (!publisher.ok()) return Failed(s, "cannot publish: " + publisher.error().message);
  broadcast::RemoteDisconnect cmd;
  cmd.identifiers = ids->is_string() ? ids->get<std::string>() : Dump(*ids);
  cmd.reconnect = a.reconnect;
  Status st = (*publisher)->Disconnect(cmd);
  if (!st.ok()) return Failed(s, "cannot publish via " + adapter + ": " + st.error().message);
  return Ok();
}

ClientRunner::Outcome ClientRunner::Do(const Step& s, const RestartStep&) {
  if (!run_.target().can_restart()) {
    return Failed(s, "the runner cannot restart this target (no --command)");
  }
  // A publisher may hold a kept-alive connection to the old process.
  publisher_.reset();
  http_.reset();
  Status st = run_.target().Restart();
  if (!st.ok()) return Failed(s, "restart failed: " + st.error().message);
  return Ok();
}

}  // namespace cable::conformance
