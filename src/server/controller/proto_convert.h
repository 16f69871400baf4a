#pragma once
// Conversions between the controller's plain structs and anycable.RPC
// protobuf messages. Shared by the gRPC client and the in-process backend.

#include "anycable/rpc.pb.h"
#include "server/controller/controller.h"

namespace cable::server {

void ToProto(const RequestEnv& env, anycable::Env* out);
anycable::ConnectionRequest ToProto(const ConnectRequest& request);
anycable::CommandMessage ToProto(const CommandRequest& request);
anycable::DisconnectRequest ToProto(const DisconnectRequest& request);

ConnectReply FromProto(const anycable::ConnectionResponse& response);
CommandReply FromProto(const anycable::CommandResponse& response);
DisconnectReply FromProto(const anycable::DisconnectResponse& response);

}  // namespace cable::server
