#include "rpc/backend.h"

#include <exception>

#include "common/log.h"
#include "rpc/request_scope.h"
#include "rpc/state_codec.h"

namespace cable::rpc {
namespace {

constexpr char kUnauthorized[] =
    R"({"type":"disconnect","reason":"unauthorized","reconnect":false})";

std::string Welcome(const std::string& sid) {
  if (sid.empty()) return R"({"type":"welcome"})";
  return R"({"type":"welcome","sid":)" + DumpJson(Json(sid)) + "}";
}

std::string Plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

Backend::Backend(Definitions definitions) : defs_(std::move(definitions)) {
  for (const auto& h : defs_.connections) {
    connect_roots_ |= h.connect_roots;
    disconnect_roots_ |= h.on_disconnect.roots;
  }
}

Result<std::unique_ptr<Backend>> Backend::LoadSources(const std::vector<Source>& sources) {
  auto defs = LoadDefinitions(sources);
  if (!defs.ok()) return defs.error();
  return std::make_unique<Backend>(std::move(*defs));
}

void Backend::SetBroadcastSink(BroadcastSink sink) {
  sink_ = std::move(sink);
}

std::string Backend::Summary() const {
  return Plural(defs_.connections.size(), "connection handler") + ", " +
         Plural(defs_.channels.size(), "channel");
}

const ConnectionHandler* Backend::SelectConnection(const Scope& scope) const {
  for (const auto& h : defs_.connections) {
    if (h.when.Holds(scope)) return &h;
  }
  return nullptr;
}

void Backend::Publish(const std::vector<std::string>& publications) const {
  if (!sink_) return;
  for (const auto& p : publications) {
    try {
      sink_(p);
    } catch (const std::exception& e) {
      log::Warn("rpc: broadcast failed: {}", e.what());
    }
  }
}

anycable::ConnectionResponse Backend::Connect(const anycable::ConnectionRequest& req,
                                              const std::string& sid) const {
  try {
    return DoConnect(req, sid);
  } catch (const std::exception& e) {
    anycable::ConnectionResponse res;
    res.set_status(anycable::ERROR);
    res.set_error_msg(std::string("internal error: ") + e.what());
    return res;
  }
}

anycable::ConnectionResponse Backend::DoConnect(const anycable::ConnectionRequest& req,
                                                const std::string& sid) const {
  anycable::ConnectionResponse res;
  if (auto valid = ValidateEnv(req.env()); !valid.ok()) {
    res.set_status(anycable::ERROR);
    res.set_error_msg(valid.error().message);
    return res;
  }
  Scope scope;
  FillRequestRoots(req.env(), sid, connect_roots_, &scope);
  const ConnectionHandler* h = SelectConnection(scope);
  if (h == nullptr) {
    // No handler claims the request: accept it anonymously, as AnyT's
    // connection does when no `test=` handler matches.
    res.set_status(anycable::SUCCESS);
    res.set_identifiers("{}");
    res.add_transmissions(Welcome(sid));
    return res;
  }

  std::string reason;
  if (h->reject) {
    reason = "rejects every connection";
  } else if (std::string failed = h->require.FirstFailure(scope); !failed.empty()) {
    reason = "requirement on " + failed + " not met";
  } else if (h->has_reject_if && h->reject_if.Holds(scope)) {
    reason = "reject_if matched";
  }
  if (!reason.empty()) {
    res.set_status(anycable::FAILURE);
    res.set_error_msg("connection rejected by handler '" + h->name + "': " + reason);
    res.add_transmissions(kUnauthorized);
    return res;
  }

  Json identifiers = Json::object();
  for (const auto& [key, value] : h->identifiers) identifiers[key] = value.Render(scope);
  res.set_identifiers(DumpJson(identifiers));
  auto* cstate = res.mutable_env()->mutable_cstate();
  for (const auto& [key, value] : h->state) (*cstate)[key] = DumpJson(value.Render(scope));
  res.set_status(anycable::SUCCESS);
  res.add_transmissions(Welcome(sid));
  return res;
}

}  // namespace cable::rpc
