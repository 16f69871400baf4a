#pragma once
// Serves a Backend as AnyCable's HTTP RPC (what `cable serve --rpc_host
// http://...` and anycable-go call): POST <path>/connect, /command and
// /disconnect with the anycable.RPC messages as JSON (snake_case names,
// enums as integers), answered 200 with the reply message as JSON.
//
// Each request is judged from its request line and headers before its body
// is read: unknown paths 404, other methods 405, a missing or wrong
// `Authorization: Bearer <secret>` 401 (compared in constant time), a body
// announced over the limit 413. A body that is not the request message in
// JSON gets 400. Refused requests close their connection; answered ones
// keep it alive. Header reads and idle connections are bounded in time,
// connections in number.
//
// The connections are read and written with the server's SocketStream, so
// TLS (the same certificate and key files as gRPC) works alike.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "common/result.h"

namespace cable::rpc {

class Backend;

struct HttpRpcServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 picks a free port
  std::string path = "/_anycable";
  std::string secret;               // empty: no authentication
  size_t max_body_bytes = 4 << 20;  // a request body; as gRPC's message cap
  size_t max_connections = 1024;    // more are closed at once
  int threads = 2;
  std::chrono::milliseconds idle_timeout{60000};  // waiting for a request (its headers)
  std::chrono::milliseconds body_timeout{30000};  // reading a body
  // PEM files: serve HTTPS when both are set.
  std::string tls_cert;
  std::string tls_key;
};

class HttpRpcServer {
 public:
  // Binds and starts serving. Errors: "listen_failed" (the address cannot
  // be bound), "tls" (the certificate or key cannot be used).
  static Result<std::unique_ptr<HttpRpcServer>> Start(const Backend& backend,
                                                      const HttpRpcServerOptions& options);
  ~HttpRpcServer();

  int port() const;
  // Stops accepting, gives requests being answered up to `grace`, closes
  // every connection.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::seconds(1));

  struct Impl;

 private:
  explicit HttpRpcServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace cable::rpc
