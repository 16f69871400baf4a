#include "server/controller/proto_convert.h"

namespace cable::server {

namespace {
template <typename Map>
void CopyMap(const StateMap& from, Map* to) {
  for (const auto& [k, v] : from) (*to)[k] = v;
}
template <typename Map>
StateMap ToStateMap(const Map& from) {
  StateMap out;
  for (const auto& [k, v] : from) out.emplace(k, v);
  return out;
}
RpcStatus ToStatus(anycable::Status s) {
  switch (s) {
    case anycable::SUCCESS:
      return RpcStatus::kSuccess;
    case anycable::FAILURE:
      return RpcStatus::kFailure;
    default:
      return RpcStatus::kError;
  }
}
}  // namespace

void ToProto(const RequestEnv& env, anycable::Env* out) {
  out->set_url(env.url);
  for (const auto& [k, v] : env.headers) (*out->mutable_headers())[k] = v;
  CopyMap(env.cstate, out->mutable_cstate());
  CopyMap(env.istate, out->mutable_istate());
}

anycable::ConnectionRequest ToProto(const ConnectRequest& request) {
  anycable::ConnectionRequest out;
  ToProto(request.env, out.mutable_env());
  return out;
}

anycable::CommandMessage ToProto(const CommandRequest& request) {
  anycable::CommandMessage out;
  out.set_command(request.command);
  out.set_identifier(request.identifier);
  out.set_connection_identifiers(request.connection_identifiers);
  out.set_data(request.data);
  ToProto(request.env, out.mutable_env());
  return out;
}

anycable::DisconnectRequest ToProto(const DisconnectRequest& request) {
  anycable::DisconnectRequest out;
  out.set_identifiers(request.identifiers);
  for (const auto& s : request.subscriptions) out.add_subscriptions(s);
  ToProto(request.env, out.mutable_env());
  return out;
}

ConnectReply FromProto(const anycable::ConnectionResponse& response) {
  ConnectReply out;
  out.status = ToStatus(response.status());
  out.identifiers = response.identifiers();
  out.transmissions.assign(response.transmissions().begin(), response.transmissions().end());
  out.error = response.error_msg();
  if (response.has_env()) out.cstate = ToStateMap(response.env().cstate());
  return out;
}

CommandReply FromProto(const anycable::CommandResponse& response) {
  CommandReply out;
  out.status = ToStatus(response.status());
  out.disconnect = response.disconnect();
  out.stop_streams = response.stop_streams();
  out.streams.assign(response.streams().begin(), response.streams().end());
  out.stopped_streams.assign(response.stopped_streams().begin(), response.stopped_streams().end());
  out.transmissions.assign(response.transmissions().begin(), response.transmissions().end());
  out.error = response.error_msg();
  if (response.has_env()) {
    out.istate = ToStateMap(response.env().istate());
    out.cstate = ToStateMap(response.env().cstate());
  }
  if (response.has_presence() && !response.presence().type().empty()) {
    const auto& p = response.presence();
    out.presence = PresenceChange{p.type(), p.id(), p.info()};
  }
  return out;
}

DisconnectReply FromProto(const anycable::DisconnectResponse& response) {
  DisconnectReply out;
  out.status = ToStatus(response.status());
  out.error = response.error_msg();
  return out;
}

}  // namespace cable::server
