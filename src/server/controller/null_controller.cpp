#include "server/controller/null_controller.h"

#include "server/protocol/messages.h"

namespace cable::server {

void NullController::Connect(const std::string&, ConnectRequest,
                             std::function<void(ConnectReply)> done) {
  ConnectReply reply;
  reply.status = RpcStatus::kFailure;
  reply.transmissions.push_back(protocol::Disconnect(protocol::reason::kUnauthorized, false));
  done(std::move(reply));
}

void NullController::Command(const std::string&, CommandRequest request,
                             std::function<void(CommandReply)> done) {
  CommandReply reply;
  if (request.command == "subscribe") {
    reply.status = RpcStatus::kFailure;
    reply.transmissions.push_back(protocol::RejectSubscription(request.identifier));
  } else {
    reply.status = RpcStatus::kError;
    reply.error = "no RPC backend (--norpc)";
  }
  done(std::move(reply));
}

void NullController::Disconnect(const std::string&, DisconnectRequest,
                                std::function<void(DisconnectReply)> done) {
  done(DisconnectReply{RpcStatus::kSuccess, ""});
}

}  // namespace cable::server
