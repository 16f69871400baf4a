#pragma once
// Controller over gRPC anycable.RPC (spec §4.4, §5): one channel with
// round-robin balancing and 10 s keepalive, `sid`/`protov` metadata on every
// call, a concurrency cap, retries with exponential backoff on
// ResourceExhausted (10 ms x 2^n) and Unavailable (100 ms x 2^n), a
// per-attempt timeout and an overall command timeout. Replies arrive on
// gRPC's threads.

#include <memory>
#include <string>

#include "common/result.h"
#include "server/config.h"
#include "server/controller/controller.h"
#include "server/metrics/metrics.h"

namespace cable::server {

// `--rpc_host` forms: `host:port`, `dns:///host:port`,
// `grpc-list://h1:p1,h2:p2`. Returns the gRPC target string.
Result<std::string> GrpcTarget(const std::string& rpc_host);

class GrpcController : public Controller {
 public:
  static Result<std::unique_ptr<GrpcController>> Create(const ServerConfig& config,
                                                        Metrics& metrics);
  ~GrpcController() override;

  void Connect(const std::string& sid, ConnectRequest request,
               std::function<void(ConnectReply)> done) override;
  void Command(const std::string& sid, CommandRequest request,
               std::function<void(CommandReply)> done) override;
  void Disconnect(const std::string& sid, DisconnectRequest request,
                  std::function<void(DisconnectReply)> done) override;
  void Shutdown(int timeout_ms) override;
  int ActiveConnections() override;

  struct Impl;

 private:
  explicit GrpcController(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cable::server
