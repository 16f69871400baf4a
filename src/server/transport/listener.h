#pragma once
// Accepts TCP connections on one address and hands each to a worker, where
// an HttpConnection reads the request and routes it: WebSocket upgrade on the
// configured paths, the health check, and the HTTP broadcast endpoint.
// The main port and a separate broadcast port are two Listeners with
// different routes. With a TlsContext every connection speaks TLS.
//
// When accept() fails for lack of resources (no descriptors left, no
// memory) the listener pauses, from 10 ms doubling to 1 s, instead of
// retrying at once: waiting clients stay in the kernel backlog, existing
// sessions keep their core, and the episode is logged once when it starts
// and once, with a count, when accepting works again (at most one episode
// per 10 s is logged: a server hovering at its limit starts many).

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "common/result.h"
#include "server/transport/connection_slot.h"
#include "server/transport/tls.h"

namespace cable::server {

class Node;
class MetricsExporter;
class Worker;

struct Routes {
  bool websocket = false;
  bool sse = false;  // Server-Sent Events at config.sse_path
  bool ds = false;   // Durable Streams reads under config.ds_path
  bool health = false;
  bool broadcast = false;
  std::string broadcast_key;                 // empty = no authentication
  bool api = false;                          // the REST API under config.api_path
  std::string api_key;                       // empty = no authentication
  bool api_cors = false;                     // CORS headers and preflight on /publish
  bool pusher_ws = false;                    // Pusher WebSocket at /app/<app key>
  bool pusher_api = false;                   // Pusher REST API under /apps/<app id>/
  const MetricsExporter* metrics = nullptr;  // serves config.metrics_http when set
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // `tls` null: plain TCP.
  Listener(Node& node, Routes routes, std::shared_ptr<const tls::TlsContext> tls = nullptr);
  // Binds and listens; an Error names the address when that fails.
  Status Open(const std::string& host, int port);
  void Start();
  void Stop();
  int port() const { return port_; }
  // Open TCP connections accepted here (HTTP and WebSocket); any thread.
  int connections() const { return connections_.load(std::memory_order_relaxed); }
  // The most connections open at once since the last call (then restarts
  // from the current count), so a flood between two samples is seen.
  int TakePeakConnections() {
    return peak_connections_.exchange(connections_.load(std::memory_order_relaxed));
  }
  const Routes& routes() const { return routes_; }
  Node& node() { return node_; }

  // Connection accounting for --max-conn: while at the limit the listener
  // stops accepting (clients wait in the kernel backlog, as with Go's
  // limit listener).
  // The returned slot is held by the connection (and later its session);
  // dropping it frees the slot.
  ConnectionSlot AcquireSlot();

 private:
  void Accept();
  void AcceptWaiting();
  void OnAcceptError(const boost::system::error_code& ec);
  void OnAccepted();
  // Hands an accepted socket to an HttpConnection on `worker`.
  void Serve(Worker& worker, int fd, const boost::asio::ip::tcp::endpoint& peer);
  void ReleaseSlot();
  friend class ConnectionSlot;

  Node& node_;
  Routes routes_;
  std::shared_ptr<const tls::TlsContext> tls_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::atomic<int> peak_connections_{0};
  std::atomic<bool> accept_paused_{false};
  std::atomic<bool> stopped_{false};
  // Accept failures of the current episode; touched on the acceptor's thread.
  std::unique_ptr<boost::asio::steady_timer> retry_timer_;
  std::chrono::milliseconds retry_delay_{0};
  uint64_t failed_accepts_ = 0;
  std::chrono::steady_clock::time_point failing_since_;
  std::chrono::steady_clock::time_point last_episode_logged_{};
  bool episode_logged_ = false;
};

}  // namespace cable::server
