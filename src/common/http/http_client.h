#pragma once
// A small synchronous HTTP/1.1 client for one origin (scheme://host:port).
//
// One kept-alive connection is reused across calls. If a reused connection
// turns out to be stale (the server closed it while idle, so the request
// fails before any response byte arrives) the request is sent once more on a
// fresh connection; nothing is retried after a response has started or after
// a timeout, so a request is never applied twice because of this client.
//
// Every call is bounded by `timeout` covering resolve, connect, write and
// read; response bodies above `max_response_body` are an error. https://
// origins use TLS 1.2+ with the server certificate checked against the host
// and `tls_ca_file` (PEM) or `tls_ca_pem` (PEM text), else the system trust
// store; `tls_verify` false
// accepts any certificate. Not thread-safe: use one client per thread.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/http/url.h"
#include "common/result.h"

namespace cable::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Response {
  int status = 0;
  std::string reason;
  Headers headers;  // as received, in order
  std::string body;
};

struct ClientOptions {
  std::chrono::milliseconds timeout{5000};
  size_t max_response_body = 1 << 20;
  // https:// only.
  std::string tls_ca_file;
  std::string tls_ca_pem;  // certificates as PEM text, next to or instead of the file
  bool tls_verify = true;
};

class Client {
 public:
  explicit Client(Url origin, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `method target` with `body` (Content-Length set) and `headers`.
  // Errors: "unreachable" (resolve/connect failed), "tls" (handshake or
  // certificate), "timeout", "io_error" (connection broke mid-exchange),
  // "too_large" (the response is over max_response_body).
  // Any HTTP status is a successful exchange; callers interpret it.
  Result<Response> Send(std::string_view method, std::string_view target, std::string body,
                        const Headers& headers = {});

  // TCP connections opened so far; lets callers and tests observe reuse.
  int connections_opened() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cable::http
