#pragma once
// Controller over AnyCable's HTTP RPC (spec §4.5): POST <rpc_host>/connect,
// /command and /disconnect with the protobuf messages as JSON (snake_case,
// empty fields omitted, enums as integers), `Authorization: Bearer <secret>`
// and `X-Anycable-Meta-*` headers.
//
// Outcomes map onto the gRPC status that means the same, so sessions treat
// them as they treat gRPC errors: 401 Unauthenticated, 400/422
// InvalidArgument, other non-200 Unknown, no connection Unavailable
// (retried with backoff within the command timeout), TLS failure
// Unauthenticated, no answer within the request timeout DeadlineExceeded.
// Replies are bounded by --rpc_max_call_recv_size (4 MiB by default); a
// reply that is not the expected JSON fails the call with a clear error.
// A circuit breaker (circuit_breaker.h) fails calls at once while most fail.
// At most --rpc_concurrency calls run at once, each on its own thread with a
// kept-alive connection; the rest wait (concurrency_limiter.h).

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
