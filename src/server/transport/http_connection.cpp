#include "server/transport/http_connection.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "cable/build_info.h"
#include "common/auth/constant_time.h"
#include "common/log.h"
#include "common/ws/deflate.h"
#include "common/ws/frame.h"
#include "server/broadcast/publication_parser.h"
#include "server/metrics/exporter.h"
#include "server/node.h"
#include "server/protocol/messages.h"
#include "server/pusher/pusher_settings.h"
#include "server/session/session.h"
#include "server/transport/http_text.h"
#include "server/transport/listener.h"
#include "server/transport/request_info.h"
#include "server/transport/sse_subscribe.h"

namespace cable::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {
constexpr size_t kMaxHeaderBytes = 16 * 1024;
constexpr std::chrono::seconds kBodyTimeout{30};
// Lingering close after an early answer: at most this long and this much.
constexpr std::chrono::seconds kLingerTimeout{2};
constexpr size_t kMaxLingerBytes = 1 << 20;
constexpr size_t kLingerChunk = 4096;
constexpr std::string_view kHealthBody = "Ah, ha, ha, ha, stayin' alive, stayin' alive.";

// Beast 1.74 hands out boost::string_view.
}  // namespace

namespace {
// Hands `fd` to Asio. When Asio cannot take it, the descriptor is closed
// and the socket stays closed: its operations fail and the connection ends.
void Adopt(asio::ip::tcp::socket& socket, int fd, const asio::ip::tcp::endpoint& peer) {
  boost::system::error_code ec;
  socket.assign(peer.protocol(), fd, ec);
  if (ec) ::close(fd);
}

// A TLS connection is Asio's from the start: OpenSSL drives the handshake.
asio::ip::tcp::socket AdoptIf(bool adopt, asio::io_context& context, int fd,
                              const asio::ip::tcp::endpoint& peer) {
  asio::ip::tcp::socket socket(context);
  if (adopt) Adopt(socket, fd, peer);
  return socket;
}
}  // namespace

HttpConnection::HttpConnection(std::shared_ptr<Listener> listener, Worker& worker, int fd,
                               const asio::ip::tcp::endpoint& peer, tls::SslPtr ssl,
                               ConnectionSlot slot)
    : listener_(std::move(listener)),
      worker_(worker),
      fd_(ssl ? -1 : fd),
      peer_(peer),
      stream_(AdoptIf(fd_ < 0, worker.context(), fd, peer), std::move(ssl)),
      slot_(std::move(slot)),
      deadline_(stream_.get_executor()) {}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void HttpConnection::Start() {
  if (fd_ < 0) return ReadHeader();
  PrepareParser();
  // The request has usually arrived by the time the connection is
  // accepted: then it is handled now and the socket is registered once,
  // by its session.
  if (ReadWithoutAsio()) return;
  ArmDeadline(std::chrono::milliseconds(listener_->node().config().read_header_timeout_ms));
  if (!worker_.poller().Add(fd_, this)) return Close();
  watched_ = true;
}

void HttpConnection::OnEvents(uint32_t events) {
  if (fd_ < 0 || !(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) return;
  auto self = shared_from_this();  // the deadline's reference may be dropped inside
  ReadWithoutAsio();
}

bool HttpConnection::ReadWithoutAsio() {
  constexpr size_t kChunk = 4096;
  for (;;) {
    auto space = buffer_.prepare(kChunk);
    const ssize_t n = ::recv(fd_, space.data(), space.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    if (n <= 0) {
      Close();
      return true;
    }
    buffer_.commit(static_cast<size_t>(n));
    boost::system::error_code ec;
    buffer_.consume(parser_->put(buffer_.data(), ec));
    if (ec == http::error::need_more) {
      // Edge-triggered: a short read drained the socket, and what arrives
      // later is reported anew.
      if (static_cast<size_t>(n) < kChunk) return false;
      continue;
    }
    OnHeaderRead(ec);
    return true;
  }
}

SocketStream& HttpConnection::Stream() {
  if (fd_ >= 0) {
    if (watched_) worker_.poller().Remove(fd_);
    watched_ = false;
    Adopt(stream_.socket(), std::exchange(fd_, -1), peer_);
  }
  return stream_;
}

int HttpConnection::TakeDescriptor(bool* watched) {
  *watched = std::exchange(watched_, false);
  if (fd_ >= 0) return std::exchange(fd_, -1);
  boost::system::error_code ec;
  const int fd = stream_.socket().release(ec);
  return ec ? -1 : fd;
}

void HttpConnection::ArmDeadline(std::chrono::milliseconds timeout) {
  deadline_.expires_after(timeout);
  std::weak_ptr<HttpConnection> weak = shared_from_this();
  // Read without Asio, no pending operation holds the connection: the
  // deadline does, until it fires or is cancelled.
  std::shared_ptr<HttpConnection> hold = fd_ >= 0 ? shared_from_this() : nullptr;
  deadline_.async_wait([weak, hold](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) {
      if (!self->upgraded_) self->Close();
    }
  });
}

void HttpConnection::PrepareParser() {
  body_use_ = BodyUse::kBroadcast;
  parser_.emplace();
  parser_->header_limit(kMaxHeaderBytes);
  parser_->body_limit(listener_->node().config().http_broadcast_max_body);
}

void HttpConnection::ReadHeader() {
  PrepareParser();
  ArmDeadline(std::chrono::milliseconds(listener_->node().config().read_header_timeout_ms));
  auto self = shared_from_this();
  http::async_read_header(
      Stream(), buffer_, *parser_,
      [self](const boost::system::error_code& ec, size_t) { self->OnHeaderRead(ec); });
}

void HttpConnection::OnHeaderRead(const boost::system::error_code& ec) {
  if (ec == http::error::header_limit) {
    return Respond(431, "request headers too large\n", false);
  }
  if (ec == http::error::body_limit) {
    if (IsSseTarget(parser_->get())) body_use_ = BodyUse::kSse;
    return RefuseLargeBody();
  }
  if (ec) return Close();
  OnHeader();
}

// Everything that can be decided from the request line and headers is
// decided before the body is read: a body nobody will use costs nothing.
void HttpConnection::OnHeader() {
  deadline_.cancel();
  Request& req = parser_->get();
  const Routes& routes = listener_->routes();
  const auto& config = listener_->node().config();
  const auto target = SplitTarget(SV(req.target()));
  cors_origin_.clear();

  if (routes.broadcast && target.path == config.http_broadcast_path) {
    if (config.http_broadcast_cors && ApplyCors(req, req.keep_alive() && !HasBody())) return;
    return AdmitBroadcast(req, routes.broadcast_key);
  }
  if (routes.sse && PathMatches(config.sse_path, target.path)) return RouteSse(req);
  if (routes.ds && IsDsTarget(target.path)) return RouteDs(req);
  if (routes.pusher_api && pusher::IsApiPath(target.path, config.pusher.app_id)) {
    return RoutePusherApi(req, target.path);
  }
  if (routes.api && target.path.size() > config.api_path.size() &&
      target.path.starts_with(config.api_path) && target.path[config.api_path.size()] == '/') {
    return RouteApi(req, target.path.substr(config.api_path.size()));
  }
  // No other route takes a body. One that was announced is not read: the
  // answer closes the connection instead.
  const bool keep_alive = req.keep_alive() && !HasBody();
  if (routes.health && target.path == config.health_path) {
    return Respond(200, std::string(kHealthBody), keep_alive);
  }
  if (routes.metrics != nullptr && target.path == config.metrics_http) {
    return Respond(200, routes.metrics->Prometheus(), keep_alive);
  }
  if (routes.pusher_ws && pusher::IsWebSocketPath(target.path, config.pusher.app_key)) {
    if (HasBody()) return Respond(400, "a WebSocket upgrade has no body\n", false);
    return Upgrade(req, /*pusher=*/true);
  }
  if (routes.websocket) {
    for (const auto& p : config.paths) {
      if (PathMatches(p, target.path)) {
        if (HasBody()) return Respond(400, "a WebSocket upgrade has no body\n", false);
        return Upgrade(req);
      }
    }
  }
  Respond(404, "not found\n", keep_alive);
}

bool HttpConnection::HasBody() const {
  return parser_->chunked() || parser_->content_length().value_or(0) > 0;
}

// Method, key, size and memory are checked from the headers; only then is
// `100 Continue` sent (when asked for) and the body read.
void HttpConnection::AdmitBroadcast(Request& req, const std::string& key) {
  // The body of a refused request is never read, so its connection closes.
  const bool keep_alive = req.keep_alive() && !HasBody();
  if (req.method() != http::verb::post) return Respond(422, "use POST\n", keep_alive);
  if (!Authorized(req, key)) return Respond(401, "unauthorized\n", keep_alive);
  ReadAdmittedBody(req);
}

void HttpConnection::ReadAdmittedBody(Request& req) {
  auto& node = listener_->node();
  if (HasBody()) {
    const size_t max_body = node.config().http_broadcast_max_body;
    const size_t announced = parser_->content_length().value_or(max_body);
    body_reservation_ = node.body_budget().TryReserve(announced);
    if (!body_reservation_) {
      Inc(node.metrics().failed_broadcast_msg_total);
      log::Warn("Request refused: {} bytes of bodies already in flight (limit {})",
                node.body_budget().used(), node.body_budget().limit());
      return Respond(503, "too many broadcast bodies in flight; retry later\n", false,
                     {{"Retry-After", "1"}});
    }
  }
  if (beast::iequals(req[http::field::expect], "100-continue") && !parser_->is_done()) {
    return SendContinue();
  }
  ReadBody();
}

// RFC 7231 §5.1.1: a client that sent `Expect: 100-continue` waits for
// this line (curl for 1 s, others longer) before it sends the body.
void HttpConnection::SendContinue() {
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  auto self = shared_from_this();
  asio::async_write(Stream(), asio::buffer(kContinue.data(), kContinue.size()),
                    [self](const boost::system::error_code& ec, size_t) {
                      if (ec) return self->Close();
                      self->ReadBody();
                    });
}

void HttpConnection::ReadBody() {
  auto done = [this] {
    if (body_use_ == BodyUse::kSse) return OnSseBody();
    if (body_use_ == BodyUse::kPusherEvents) return HandlePusherEvents(parser_->get());
    HandleBroadcast(parser_->get());
  };
  if (parser_->is_done()) return done();
  ArmDeadline(kBodyTimeout);
  auto self = shared_from_this();
  http::async_read(Stream(), buffer_, *parser_,
                   [self, done](const boost::system::error_code& ec, size_t) {
                     self->deadline_.cancel();
                     if (ec == http::error::body_limit) return self->RefuseLargeBody();
                     if (ec) return self->Close();
                     done();
                   });
}

void HttpConnection::RefuseLargeBody() {
  const size_t limit =
      body_use_ == BodyUse::kSse ? kSseMaxBody : listener_->node().config().http_broadcast_max_body;
  Respond(413, "body too large: the limit is " + std::to_string(limit) + " bytes\n", false);
}

void HttpConnection::HandleBroadcast(Request& req) {
  auto& node = listener_->node();
  const bool keep_alive = req.keep_alive();
  auto parsed = ParsePublication(req.body());
  // The body is not needed past this point: give its memory back now
  // rather than when the next request on this connection arrives.
  parser_.reset();
  body_reservation_.Release();
  if (!parsed.ok()) {
    // anycable-go answers 201 even here; a clear 422 tells the publisher
    // its message went nowhere.
    Inc(node.metrics().failed_broadcast_msg_total);
    log::Warn("Rejected broadcast: {}", parsed.error().message);
    return Respond(422, parsed.error().message + "\n", keep_alive);
  }
  for (auto& d : parsed->disconnects) node.PublishRemoteDisconnect(d.identifiers, d.reconnect);
  if (parsed->broadcasts.empty()) return Respond(201, "", keep_alive);
  // With a broker each broadcast is answered once stored, possibly on the
  // broker's thread; the reply waits for all of them (501 as anycable-go
  // when one could not be stored).
  struct Tally {
    std::atomic<size_t> left;
    std::atomic<bool> failed{false};
  };
  auto tally = std::make_shared<Tally>();
  tally->left = parsed->broadcasts.size();
  auto self = shared_from_this();
  for (auto& b : parsed->broadcasts) {
    node.Publish(std::move(b), [self, tally, keep_alive](bool published) {
      if (!published) tally->failed = true;
      if (tally->left.fetch_sub(1) != 1) return;
      boost::asio::post(self->worker_.context(), [self, tally, keep_alive] {
        if (tally->failed) {
          return self->Respond(501, "the broker could not store the broadcast; retry later\n",
                               keep_alive);
        }
        self->Respond(201, "", keep_alive);
      });
    });
  }
}

void HttpConnection::Upgrade(Request& req, bool pusher) {
  auto& node = listener_->node();
  const auto& config = node.config();
  if (req.method() != http::verb::get || !beast::websocket::is_upgrade(req) ||
      req[http::field::sec_websocket_key].empty()) {
    return Respond(400, "expected a WebSocket upgrade (version 13)\n", false);
  }
  if (req[http::field::sec_websocket_version] != "13") {
    // RFC 6455 §4.4: name the version this server speaks.
    return Respond(426, "WebSocket version 13 required\n", false,
                   {{"Sec-WebSocket-Version", "13"}});
  }
  if (!OriginAllowed(SV(req[http::field::origin]), config.allowed_origins)) {
    return Respond(403, "origin not allowed\n", false);
  }

  SessionInfo info;
  FillSessionInfo(req, /*websocket=*/true, info);
  if (pusher) {
    // Pusher speaks no subprotocol and pings from the client side.
    info.subprotocol.clear();
    info.restore_sid.clear();
    info.sid = pusher::SocketId(SV(req["X-Request-ID"]));
    info.ping_interval_ms = 0;
    info.framing = Framing::kPusher;
  }
  std::optional<std::string> extensions;
  if (config.enable_ws_compression) {
    // The offers may be spread over several header fields.
    std::string offers;
    const auto [first, last] = req.equal_range(http::field::sec_websocket_extensions);
    for (auto field = first; field != last && offers.size() <= 4096; ++field) {
      if (!offers.empty()) offers += ", ";
      offers.append(SV(field->value()));
    }
    extensions = ws::NegotiateDeflate(offers);
    info.deflate = extensions.has_value();
  }

  std::string response =
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: " +
      ws::AcceptKey(SV(req[http::field::sec_websocket_key])) + "\r\n";
  if (!info.subprotocol.empty()) response += "Sec-WebSocket-Protocol: " + info.subprotocol + "\r\n";
  if (extensions) response += "Sec-WebSocket-Extensions: " + *extensions + "\r\n";
  response += std::string("X-AnyCable-Version: ") + build::kVersion + "\r\n\r\n";

  // Bytes the client sent right after its request belong to the session.
  auto data = buffer_.data();
  std::string leftover(static_cast<const char*>(data.data()), data.size());

  upgraded_ = true;
  deadline_.cancel();
  bool watched = false;
  info.fd = TakeDescriptor(&watched);
  auto session = std::make_shared<Session>(node, worker_, std::move(info), stream_.ReleaseSsl());
  session->Start(std::move(leftover), std::move(response), watched);
}

// SSE sessions have no subprotocol, so no restore and no token in one.
void HttpConnection::FillSessionInfo(const Request& req, bool websocket, SessionInfo& info) {
  auto& node = listener_->node();
  const auto& config = node.config();
  const auto target = SplitTarget(SV(req.target()));
  auto query = ParseQuery(target.query);
  const std::string_view offered =
      websocket ? SV(req[http::field::sec_websocket_protocol]) : std::string_view();
  info.subprotocol = NegotiateSubprotocol(offered);
  // A session kept for restore is found by its sid alone, so its sid must
  // be unguessable: one the server drew, never a client's X-Request-ID.
  const bool restorable =
      node.sessions_cached() && info.subprotocol == protocol::kExtendedSubprotocol;
  auto request_id = req["X-Request-ID"];
  info.sid = !restorable && !request_id.empty() && request_id.size() <= 128
                 ? std::string(request_id)
                 : RandomSid();
  if (restorable) {
    info.restore_sid = RestoreSid(SV(req["X-AnyCable-Restore-Sid"]), QueryValue(query, "sid"));
  }
  // An absolute-form target names the host itself, and wins over Host.
  const std::string_view host =
      target.authority.empty() ? SV(req[http::field::host]) : target.authority;
  info.url = (stream_.secure() ? "https://" : "http://") + std::string(host) +
             std::string(target.path) +
             (target.query.empty() ? "" : "?" + std::string(target.query));
  for (const auto& name : config.headers) {
    auto value = req[name];
    if (value.empty()) continue;
    if (name == "cookie") {
      info.headers.emplace_back(name, FilterCookies(SV(value), config.proxy_cookies));
    } else {
      info.headers.emplace_back(name, std::string(value));
    }
  }
  info.headers.emplace_back("REMOTE_ADDR", peer_.address().to_string());
  if (node.identity().jwt_enabled()) {
    // Token sources in anycable-go's order: X-<param> header, then the
    // `anycable-token.<jwt>` subprotocol, then the query parameter.
    const std::string header = "x-" + node.identity().jwt_param();
    info.token = std::string(req[header]);
    if (info.token.empty()) info.token = TokenFromSubprotocols(offered);
    if (info.token.empty()) info.token = QueryValue(query, node.identity().jwt_param());
    if (!info.token.empty()) info.headers.emplace_back(header, info.token);
  }

  info.ping_interval_ms = config.ping_interval_s * 1000;
  if (auto pi = QueryValue(query, "pi"); !pi.empty()) {
    char* end = nullptr;
    long v = std::strtol(pi.c_str(), &end, 10);
    if (end && *end == '\0' && v >= 0 && v <= 3600)
      info.ping_interval_ms = static_cast<int>(v * 1000);
  }
  std::string ptp = QueryValue(query, "ptp");
  info.ping_precision = config.ping_timestamp_precision;
  ParsePingPrecision(ptp, &info.ping_precision);  // an unknown ?ptp= keeps the setting
  info.connection_slot = std::move(slot_);
}

void HttpConnection::Respond(unsigned status, std::string body, bool keep_alive,
                             std::initializer_list<ExtraHeader> headers) {
  auto res =
      std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
  res->set(http::field::server, "cable");
  res->set(http::field::content_type, "text/plain; charset=utf-8");
  if (!cors_origin_.empty()) {
    res->set(http::field::access_control_allow_origin, cors_origin_);
    res->set(http::field::access_control_allow_credentials, "true");
  }
  for (const auto& [name, value] : headers) {
    if (value.empty()) continue;  // a header that does not apply (e.g. no allowed origin)
    res->set(beast::string_view(name.data(), name.size()),
             beast::string_view(value.data(), value.size()));
  }
  res->keep_alive(keep_alive);
  res->body() = std::move(body);
  res->prepare_payload();
  // Answered before the whole request was read (a refused body, headers
  // too large): what the client is still sending must not be left unread.
  const bool unread = parser_ && !parser_->is_done();
  auto self = shared_from_this();
  http::async_write(Stream(), *res,
                    [self, res, keep_alive, unread](const boost::system::error_code& ec, size_t) {
                      if (ec) return self->Close();
                      if (unread) return self->LingerAndClose();
                      if (!keep_alive) return self->Close();
                      self->ReadHeader();
                    });
}

// Closing a socket with unread bytes makes the kernel send a reset, which
// can overtake the response at the client (it then sees "connection reset"
// instead of 401 or 413). So, as nginx's lingering close does, the send
// side is shut and whatever still arrives is read and discarded, bounded
// in bytes and time, before the socket closes.
void HttpConnection::LingerAndClose() {
  if (stream_.secure()) return Close();  // TLS closes with close_notify instead
  boost::system::error_code ec;
  Stream().socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (ec) return Close();
  ArmDeadline(kLingerTimeout);
  linger_buffer_ = std::make_unique<char[]>(kLingerChunk);
  Drain();
}

void HttpConnection::Drain() {
  auto self = shared_from_this();
  stream_.socket().async_read_some(asio::buffer(linger_buffer_.get(), kLingerChunk),
                                   [self](const boost::system::error_code& ec, size_t n) {
                                     self->lingered_ += n;
                                     if (ec || self->lingered_ >= kMaxLingerBytes)
                                       return self->Close();
                                     self->Drain();
                                   });
}

void HttpConnection::Close() {
  deadline_.cancel();
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));  // leaves the poller too
  watched_ = false;
  stream_.Close();
}

}  // namespace cable::server
