#pragma once
// Serves a Backend as the gRPC service anycable.RPC (what anycable-go and
// `cable serve --rpc_host` call). Synchronous gRPC with its own thread
// pool; the Backend is thread-safe, so calls run fully in parallel.

#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"

namespace grpc {
class Server;
}

namespace cable::rpc {

class Backend;

struct GrpcServerOptions {
  std::string host = "127.0.0.1:50051";  // port 0 picks a free port
  int max_message_bytes = 0;             // 0 = limits::kMaxGrpcMessageBytes
  // PEM files: serve over TLS when both are set.
  std::string tls_cert;
  std::string tls_key;
};

class GrpcServer {
 public:
  // Binds and starts serving. An Error ("listen_failed") when the address
  // cannot be bound, e.g. the port is in use; ("tls") when the certificate
  // or key cannot be read.
  static Result<std::unique_ptr<GrpcServer>> Start(const Backend& backend,
                                                   const GrpcServerOptions& options);
  ~GrpcServer();

  // The bound port (useful with port 0).
  int port() const { return port_; }
  // Stops accepting calls and waits up to `grace` for running ones.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  struct Service;
  GrpcServer() = default;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool stopped_ = false;
};

}  // namespace cable::rpc
