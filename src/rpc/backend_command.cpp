// Backend::Command: subscribe, unsubscribe and message (perform) calls.

#include <exception>

#include "rpc/backend.h"
#include "rpc/channel_identifier.h"
#include "rpc/executor.h"
#include "rpc/limits.h"
#include "rpc/request_scope.h"
#include "rpc/state_codec.h"

namespace cable::rpc {
namespace {

anycable::CommandResponse Fail(anycable::Status status, std::string message) {
  anycable::CommandResponse res;
  res.set_status(status);
  res.set_error_msg(std::move(message));
  return res;
}

std::string SubscriptionReply(const std::string& identifier, const char* type) {
  return "{\"identifier\":" + DumpJson(Json(identifier)) + ",\"type\":\"" + type + "\"}";
}

}  // namespace

anycable::CommandResponse Backend::Command(const anycable::CommandMessage& req,
                                           const std::string& sid) const {
  try {
    return DoCommand(req, sid);
  } catch (const std::exception& e) {
    return Fail(anycable::ERROR, std::string("internal error: ") + e.what());
  }
}

anycable::CommandResponse Backend::DoCommand(const anycable::CommandMessage& req,
                                             const std::string& sid) const {
  const std::string& command = req.command();
  const bool subscribe = command == "subscribe";
  const bool unsubscribe = command == "unsubscribe";
  const bool message = command == "message";
  if (!subscribe && !unsubscribe && !message) {
    return Fail(anycable::ERROR, "unknown command '" + command.substr(0, 64) +
                                     "'; expected subscribe, unsubscribe or message");
  }
  if (auto valid = ValidateEnv(req.env()); !valid.ok()) {
    return Fail(anycable::ERROR, valid.error().message);
  }
  auto id = ParseIdentifier(req.identifier());
  if (!id.ok()) return Fail(anycable::ERROR, id.error().message);

  auto ch = defs_.channels.find(id->channel);
  if (ch == defs_.channels.end()) {
    std::string msg = "unknown channel '" + id->channel.substr(0, 256) + "'";
    if (!subscribe) return Fail(anycable::ERROR, msg);
    // Rejecting tells the client right away instead of leaving it waiting.
    auto res = Fail(anycable::FAILURE, msg);
    res.add_transmissions(SubscriptionReply(req.identifier(), "reject_subscription"));
    return res;
  }
  const ChannelDefinition& channel = ch->second;

  const Handler* handler = subscribe ? &channel.on_subscribe : &channel.on_unsubscribe;
  Json data;
  if (message) {
    auto parsed = ParseJson(req.data(), limits::kMaxDataBytes);
    if (!parsed.ok()) return Fail(anycable::ERROR, "data " + parsed.error().message);
    if (!parsed->is_object()) {
      return Fail(anycable::ERROR, "data is not a JSON object with an \"action\"");
    }
    auto action = parsed->find("action");
    if (action == parsed->end() || !action->is_string()) {
      return Fail(anycable::ERROR, "data has no \"action\" string");
    }
    auto a = channel.actions.find(action->get_ref<const std::string&>());
    if (a == channel.actions.end()) {
      return Fail(anycable::ERROR, "unknown action '" +
                                       action->get_ref<const std::string&>().substr(0, 128) +
                                       "' for channel '" + channel.name + "'");
    }
    handler = &a->second;
    data = std::move(*parsed);
  }

  Scope scope;
  FillRequestRoots(req.env(), sid, handler->roots, &scope);
  if (Has(handler->roots, Root::kIdentifiers)) {
    auto ids = ParseConnectionIdentifiers(req.connection_identifiers());
    if (!ids.ok()) return Fail(anycable::ERROR, ids.error().message);
    scope.Set(Root::kIdentifiers, std::move(*ids));
  }
  scope.Set(Root::kParams, std::move(id->params));
  scope.Set(Root::kChannel, Json(channel.name));
  scope.Set(Root::kIdentifier, Json(req.identifier()));
  if (Has(handler->roots, Root::kCstate))
    scope.Set(Root::kCstate, DecodeStateMap(req.env().cstate()));
  if (message) scope.Set(Root::kData, std::move(data));
  Json state_before = DecodeStateMap(req.env().istate());
  scope.Set(Root::kState, state_before);

  Effects fx;
  if (auto s = RunSteps(handler->steps, scope, req.identifier(), &fx); !s.ok()) {
    return Fail(anycable::ERROR, s.error().message);
  }
  Publish(fx.publications);

  anycable::CommandResponse res;
  if (subscribe && fx.rejected) {
    res.set_status(anycable::FAILURE);
    res.set_error_msg("subscription to '" + channel.name + "' rejected: " + fx.reject_reason);
    for (auto& t : fx.transmissions) res.add_transmissions(std::move(t));
    res.add_transmissions(SubscriptionReply(req.identifier(), "reject_subscription"));
    res.set_disconnect(fx.disconnect);
    return res;
  }
  res.set_status(anycable::SUCCESS);
  res.set_disconnect(fx.disconnect);
  if (unsubscribe) {
    // The server drops the subscription's streams and state itself; say so
    // explicitly for servers that only act on the response.
    res.set_stop_streams(true);
    return res;
  }
  res.set_stop_streams(fx.stop_all_streams);
  for (auto& s : fx.streams) res.add_streams(std::move(s));
  for (auto& s : fx.stopped_streams) res.add_stopped_streams(std::move(s));
  for (auto& t : fx.transmissions) res.add_transmissions(std::move(t));
  if (subscribe) res.add_transmissions(SubscriptionReply(req.identifier(), "confirm_subscription"));
  auto diff = StateDiff(state_before, *scope.Get(Root::kState));
  if (!diff.empty()) {
    auto* istate = res.mutable_env()->mutable_istate();
    for (auto& [k, v] : diff) (*istate)[k] = std::move(v);
  }
  if (fx.presence) {
    auto* presence = res.mutable_presence();
    presence->set_type(fx.presence->type);
    presence->set_id(std::move(fx.presence->id));
    presence->set_info(std::move(fx.presence->info));
  }
  return res;
}

}  // namespace cable::rpc
