#pragma once
// `--norpc`: no application behind the server. Connections are rejected as
// unauthorized and subscriptions rejected, unless a local identity or
// channel (JWT, signed streams) handles them first.

#include "server/controller/controller.h"

namespace cable::server {

class NullController : public Controller {
 public:
  void Connect(const std::string& sid, ConnectRequest request,
               std::function<void(ConnectReply)> done) override;
  void Command(const std::string& sid, CommandRequest request,
               std::function<void(CommandReply)> done) override;
  void Disconnect(const std::string& sid, DisconnectRequest request,
                  std::function<void(DisconnectReply)> done) override;
};

}  // namespace cable::server
