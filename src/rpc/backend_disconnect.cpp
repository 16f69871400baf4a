// Backend::Disconnect: runs on_unsubscribe for every subscription (with the
// state the server kept for it), then the connection's on_disconnect.

#include <exception>

#include "common/log.h"
#include "rpc/backend.h"
#include "rpc/channel_identifier.h"
#include "rpc/executor.h"
#include "rpc/limits.h"
#include "rpc/request_scope.h"
#include "rpc/state_codec.h"

namespace cable::rpc {

anycable::DisconnectResponse Backend::Disconnect(const anycable::DisconnectRequest& req,
                                                 const std::string& sid) const {
  try {
    return DoDisconnect(req, sid);
  } catch (const std::exception& e) {
    anycable::DisconnectResponse res;
    res.set_status(anycable::ERROR);
    res.set_error_msg(std::string("internal error: ") + e.what());
    return res;
  }
}

anycable::DisconnectResponse Backend::DoDisconnect(const anycable::DisconnectRequest& req,
                                                   const std::string& sid) const {
  anycable::DisconnectResponse res;
  auto fail = [&](std::string msg) {
    res.set_status(anycable::ERROR);
    res.set_error_msg(std::move(msg));
    return res;
  };
  if (auto valid = ValidateEnv(req.env()); !valid.ok()) return fail(valid.error().message);
  if (static_cast<std::size_t>(req.subscriptions_size()) > limits::kMaxSubscriptions) {
    return fail("more than " + std::to_string(limits::kMaxSubscriptions) + " subscriptions");
  }
  auto identifiers = ParseConnectionIdentifiers(req.identifiers());
  if (!identifiers.ok()) return fail(identifiers.error().message);
  Json cstate = DecodeStateMap(req.env().cstate());

  // One subscription's problem must not stop the others' callbacks.
  std::vector<std::string> errors;
  std::vector<std::string> publications;
  for (const std::string& identifier : req.subscriptions()) {
    auto id = ParseIdentifier(identifier);
    if (!id.ok()) {
      errors.push_back(id.error().message);
      continue;
    }
    auto ch = defs_.channels.find(id->channel);
    if (ch == defs_.channels.end()) {
      // Subscriptions to server-side channels ($pubsub, Turbo) are listed too.
      log::Debug("rpc: Disconnect: no definition for channel '{}', skipped", id->channel);
      continue;
    }
    const Handler& handler = ch->second.on_unsubscribe;
    if (handler.steps.empty()) continue;
    Json state = Json::object();
    auto it = req.env().istate().find(identifier);
    if (it != req.env().istate().end()) {
      auto decoded = DecodeStateObject(it->second);
      if (!decoded.ok()) {
        errors.push_back("istate for " + identifier.substr(0, 256) + " " + decoded.error().message);
        continue;
      }
      state = std::move(*decoded);
    }
    Scope scope;
    FillRequestRoots(req.env(), sid, handler.roots, &scope);
    scope.Set(Root::kIdentifiers, *identifiers);
    scope.Set(Root::kParams, std::move(id->params));
    scope.Set(Root::kChannel, Json(ch->second.name));
    scope.Set(Root::kIdentifier, Json(identifier));
    scope.Set(Root::kCstate, cstate);
    scope.Set(Root::kState, std::move(state));
    Effects fx;
    if (auto s = RunSteps(handler.steps, scope, identifier, &fx); !s.ok()) {
      errors.push_back(s.error().message);
      continue;
    }
    for (auto& p : fx.publications) publications.push_back(std::move(p));
  }

  Scope scope;
  FillRequestRoots(req.env(), sid, disconnect_roots_, &scope);
  if (const ConnectionHandler* h = SelectConnection(scope); h && !h->on_disconnect.steps.empty()) {
    scope.Set(Root::kIdentifiers, std::move(*identifiers));
    scope.Set(Root::kState, std::move(cstate));
    Effects fx;
    if (auto s = RunSteps(h->on_disconnect.steps, scope, "", &fx); !s.ok()) {
      errors.push_back(s.error().message);
    } else {
      for (auto& p : fx.publications) publications.push_back(std::move(p));
    }
  }

  Publish(publications);
  if (!errors.empty()) {
    std::string msg = errors.front();
    if (errors.size() > 1) msg += " (and " + std::to_string(errors.size() - 1) + " more)";
    return fail(msg);
  }
  res.set_status(anycable::SUCCESS);
  return res;
}

}  // namespace cable::rpc
