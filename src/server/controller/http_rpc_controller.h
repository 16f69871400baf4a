#pragma once
// Controller over AnyCable's HTTP RPC (spec §4.5): POST <rpc_host>/connect,
// /command and /disconnect with the protobuf messages as JSON (snake_case,
// empty fields omitted, enums as integers), `Authorization: Bearer <secret>`
// and `X-Anycable-Meta-*` headers. Calls run on a pool of --rpc_concurrency
// threads, each with its own kept-alive connection; network errors are
// retried with backoff within the command timeout.

#include <memory>

#include "common/result.h"
#include "server/config.h"
#include "server/controller/controller.h"
#include "server/metrics/metrics.h"

namespace cable::server {

class HttpRpcController : public Controller {
 public:
  static Result<std::unique_ptr<HttpRpcController>> Create(const ServerConfig& config,
                                                           Metrics& metrics);
  ~HttpRpcController() override;

  void Connect(const std::string& sid, ConnectRequest request,
               std::function<void(ConnectReply)> done) override;
  void Command(const std::string& sid, CommandRequest request,
               std::function<void(CommandReply)> done) override;
  void Disconnect(const std::string& sid, DisconnectRequest request,
                  std::function<void(DisconnectReply)> done) override;
  void Shutdown(int timeout_ms) override;

  struct Impl;

 private:
  explicit HttpRpcController(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cable::server
