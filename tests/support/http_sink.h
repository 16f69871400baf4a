#pragma once
// A tiny HTTP/1.1 server for tests that stands in for a broadcast endpoint (or
// any HTTP peer): it records every request and answers with a chosen status.
// It serves on 127.0.0.1 on an ephemeral port from its own thread and keeps
// connections alive unless told otherwise. Bodies above 8 MiB are refused
// and at most 100000 requests are recorded.

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cable::testing {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  int connection = 0;  // 1-based index of the TCP connection it arrived on

  // Header value by lowercase name, or "" when absent.
  std::string header(const std::string& lowercase_name) const;
};

class HttpSink {
 public:
  HttpSink();
  ~HttpSink();
  HttpSink(const HttpSink&) = delete;
  HttpSink& operator=(const HttpSink&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port><path>".
  std::string url(const std::string& path = "/_broadcast") const;

  // Status (and body) of subsequent responses; default 201 with an empty body.
  void set_status(int status, std::string body = "");
  // A header added to subsequent responses (set after Content-Type, so it
  // can replace it).
  void set_response_header(std::string name, std::string value);
  // After each response, close the connection without saying so (no
  // `Connection: close`), like a server dropping an idle keep-alive connection.
  void set_close_after_response(bool close);
  // Record requests but never answer them (clients time out).
  void set_unresponsive(bool unresponsive);
  // Record requests and hold their answers until ReleaseHeld() (a backend
  // that is slow for as long as the test wants).
  void set_hold(bool hold);
  // Answers every held request now, with the status and body then set.
  void ReleaseHeld();

  // Wait (bounded) until at least `n` requests were recorded / `n`
  // connections were closed by either side.
  bool WaitForRequests(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool WaitForClosedConnections(int n,
                                std::chrono::milliseconds timeout = std::chrono::seconds(10));

  std::vector<RecordedRequest> requests() const;
  int connections_accepted() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace cable::testing
