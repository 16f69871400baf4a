#pragma once
// A Server-Sent Events client for tests, over a plain or TLS socket: sends
// one request as written by the test, reads the response head, then decodes
// the chunked body into events as a browser's EventSource parses them
// (`data:` lines joined with "\n"). It keeps every raw byte of the body too,
// so a test can check the exact encoding. Every read has a deadline.

#include <openssl/ssl.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "server/raw_http.h"
#include "support/cable_client.h"

namespace cable::testing {

struct SseEvent {
  std::string type;  // empty for data events (EventSource's "message")
  std::string data;
  std::string id;
  std::string retry;
};

class SseStream {
 public:
  // Connects to 127.0.0.1:port (TLS, checked against the test certificate,
  // when `tls`), sends `request` and reads the response head; see ok().
  SseStream(int port, const std::string& request, bool tls = false);
  ~SseStream();
  SseStream(const SseStream&) = delete;
  SseStream& operator=(const SseStream&) = delete;

  // `GET <target> HTTP/1.1` with Host and `extra` header lines (each ending
  // in CRLF).
  static std::string Get(const std::string& target, const std::string& extra = "");
  // `POST <target>` with `body` (Content-Length).
  static std::string Post(const std::string& target, const std::string& body,
                          const std::string& extra = "");

  // A response head arrived (any status).
  bool ok() const { return response_.status != 0; }
  const RawResponse& response() const { return response_; }
  int status() const { return response_.status; }

  // The next event; pings are skipped unless `pings`. Empty on timeout or
  // when the stream ended.
  std::optional<SseEvent> Next(std::chrono::milliseconds timeout = kReceiveTimeout,
                               bool pings = false);
  // True when the body ends (the last chunk) or the connection closes
  // within `timeout`; events arriving meanwhile are kept.
  bool WaitForEnd(std::chrono::milliseconds timeout = kReceiveTimeout);
  bool ended() const { return ended_; }
  // The decoded body received so far (events not yet taken included).
  const std::string& body() const { return body_; }
  // Stops reading (a client that never reads: its receive buffer fills up).
  int fd() const { return fd_; }
  void Close();

 private:
  bool Fill(std::chrono::steady_clock::time_point deadline);
  void Dechunk();

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  RawResponse response_;
  std::string raw_;    // bytes after the head, still chunk-encoded
  std::string body_;   // decoded body
  size_t parsed_ = 0;  // body_ bytes already returned as events
  bool ended_ = false;
  bool chunked_ = false;
};

}  // namespace cable::testing
