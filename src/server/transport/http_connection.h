#pragma once
// One accepted TCP connection before it becomes a WebSocket session: reads
// HTTP requests (keep-alive) with a deadline per request, so a client that
// trickles headers (slowloris) is cut off, and routes each request. With
// TLS the first deadline also bounds the handshake; at the upgrade the
// socket and its TLS state move into the Session.
//
// On plain TCP the first request is read without Asio: the worker's poller
// watches the socket (one epoll registration, taken over by the session on
// an upgrade) and Beast's parser is fed what recv() returns. Only a request
// that is not an upgrade moves the socket into Asio, where keep-alive
// requests, bodies and responses are handled. Most connections are
// upgrades, and this saves them Asio's registration, its removal and an
// asynchronous operation each: about a third of the system calls of a
// connect.
//
// A request is routed and, for broadcasts, authenticated and admitted from
// its headers alone; only an admitted broadcast's body is read. Refused
// requests that announced a body are answered at once and the connection
// closed, so an unauthenticated client never makes the server buffer.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "server/transport/body_budget.h"
#include "server/transport/connection_slot.h"
#include "server/transport/socket_stream.h"

namespace cable::server {

class Listener;
class Worker;
struct SessionInfo;
struct PresenceList;
namespace protocol {
struct ClientCommand;
}

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  // `fd`: the accepted socket, non-blocking; the connection owns it.
  HttpConnection(std::shared_ptr<Listener> listener, Worker& worker, int fd,
                 const boost::asio::ip::tcp::endpoint& peer, tls::SslPtr ssl, ConnectionSlot slot);
  ~HttpConnection();
  // On the worker's thread.
  void Start();
  // Readiness of the socket while the worker's poller watches it.
  void OnEvents(uint32_t events);

 private:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  using ExtraHeader = std::pair<std::string_view, std::string_view>;

  void PrepareParser();
  void ReadHeader();
  // Reads the request with recv(); false while its header is incomplete.
  bool ReadWithoutAsio();
  void OnHeaderRead(const boost::system::error_code& ec);
  void OnHeader();
  // The socket as Asio's stream; the first call moves it out of the poller.
  SocketStream& Stream();
  // The socket for a session, and whether the worker's poller watches it.
  int TakeDescriptor(bool* watched);
  bool HasBody() const;
  // `key`: the bearer key the endpoint wants (empty: none).
  void AdmitBroadcast(Request& req, const std::string& key);
  bool Authorized(const Request& req, const std::string& key) const;
  // http_api.cpp
  void RouteApi(Request& req, std::string_view path);
  void AnswerPresence(std::string stream, bool keep_alive);
  // pusher_api.cpp
  void RoutePusherApi(Request& req, std::string_view path);
  void HandlePusherEvents(Request& req);
  void AnswerPusherUsers(std::string channel, bool keep_alive);
  // The presence of `stream` as `encode` writes it (`api` names the caller
  // in the log when the broker cannot read it).
  void AnswerPresenceAs(std::string stream, bool keep_alive, const char* api,
                        std::string (*encode)(const PresenceList&));
  std::string CorsOrigin(const Request& req) const;
  // Marks the response to this request as carrying CORS headers; answers an
  // OPTIONS preflight at once (true), else the caller goes on (false).
  bool ApplyCors(const Request& req, bool keep_alive);
  // Reserves the announced body within the node's budget, then reads it.
  void ReadAdmittedBody(Request& req);
  void SendContinue();
  void ReadBody();
  void RefuseLargeBody();
  void HandleBroadcast(Request& req);
  // `pusher`: a Pusher client at /app/<key> (no subprotocol, no server pings).
  void Upgrade(Request& req, bool pusher = false);
  // What a session takes from its request (WebSocket upgrade or SSE).
  void FillSessionInfo(const Request& req, bool websocket, SessionInfo& info);
  // sse_request.cpp
  bool IsSseTarget(const Request& req) const;
  void RouteSse(Request& req);
  void OnSseBody();
  void StartSse(Request& req, std::vector<protocol::ClientCommand> subscribes);
  std::string SseCorsHeaders(const Request& req) const;
  // ds_route.cpp: Durable Streams reads under --ds_path.
  bool IsDsTarget(std::string_view path) const;
  void RouteDs(Request& req);
  void LingerAndClose();
  void Drain();
  void Respond(unsigned status, std::string body, bool keep_alive,
               std::initializer_list<ExtraHeader> headers = {});
  void ArmDeadline(std::chrono::milliseconds timeout);
  void Close();

  std::shared_ptr<Listener> listener_;
  Worker& worker_;
  int fd_;                // the socket while it is read without Asio, else -1
  bool watched_ = false;  // fd_ is in the worker's poller
  boost::asio::ip::tcp::endpoint peer_;
  SocketStream stream_;  // holds the socket once Asio handles it
  ConnectionSlot slot_;
  boost::asio::steady_timer deadline_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  BodyBudget::Reservation body_reservation_;  // while a broadcast or SSE body is read
  // What the body being read is for.
  enum class BodyUse : uint8_t { kBroadcast, kSse, kPusherEvents };
  BodyUse body_use_ = BodyUse::kBroadcast;
  std::unique_ptr<char[]> linger_buffer_;  // only while lingering
  size_t lingered_ = 0;
  bool upgraded_ = false;
  // Access-Control-Allow-Origin for the response being prepared; empty when
  // the route has no CORS or the origin is not allowed.
  std::string cors_origin_;
};

}  // namespace cable::server
