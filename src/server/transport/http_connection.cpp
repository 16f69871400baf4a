#include "server/transport/http_connection.h"

#include <openssl/crypto.h>

#include <boost/asio/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "cable/build_info.h"
#include "common/log.h"
#include "server/broadcast/publication_parser.h"
#include "server/metrics/exporter.h"
#include "server/node.h"
#include "server/session/session.h"
#include "server/transport/listener.h"
#include "server/transport/request_info.h"
#include "server/transport/ws_frame.h"

namespace cable::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace transport;

namespace {
constexpr size_t kMaxHeaderBytes = 16 * 1024;
constexpr std::chrono::seconds kBodyTimeout{30};
constexpr std::string_view kHealthBody = "Ah, ha, ha, ha, stayin' alive, stayin' alive.";

std::string_view PathOf(std::string_view target) {
  return target.substr(0, target.find('?'));
}
std::string_view QueryOf(std::string_view target) {
  size_t q = target.find('?');
  return q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
}

// Beast 1.74 hands out boost::string_view.
std::string_view SV(beast::string_view s) {
  return {s.data(), s.size()};
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}
}  // namespace

HttpConnection::HttpConnection(std::shared_ptr<Listener> listener, Worker& worker,
                               asio::ip::tcp::socket socket, tls::SslPtr ssl,
                               std::shared_ptr<void> slot)
    : listener_(std::move(listener)),
      worker_(worker),
      stream_(std::move(socket), std::move(ssl)),
      slot_(std::move(slot)),
      deadline_(stream_.get_executor()) {}

void HttpConnection::Start() {
  ReadHeader();
}

void HttpConnection::ArmDeadline(std::chrono::milliseconds timeout) {
  deadline_.expires_after(timeout);
  std::weak_ptr<HttpConnection> weak = shared_from_this();
  deadline_.async_wait([weak](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) {
      if (!self->upgraded_) self->Close();
    }
  });
}

void HttpConnection::ReadHeader() {
  parser_.emplace();
  parser_->header_limit(kMaxHeaderBytes);
  parser_->body_limit(listener_->node().config().http_broadcast_max_body);
  ArmDeadline(std::chrono::milliseconds(listener_->node().config().read_header_timeout_ms));
  auto self = shared_from_this();
  http::async_read_header(stream_, buffer_, *parser_,
                          [self](const boost::system::error_code& ec, size_t) {
                            if (ec) {
                              if (ec == http::error::header_limit) {
                                self->Respond(431, "request headers too large\n", false);
                              } else {
                                self->Close();
                              }
                              return;
                            }
                            self->ReadBody();
                          });
}

void HttpConnection::ReadBody() {
  if (parser_->is_done()) {
    deadline_.cancel();
    return OnRequest();
  }
  ArmDeadline(kBodyTimeout);
  auto self = shared_from_this();
  http::async_read(stream_, buffer_, *parser_, [self](const boost::system::error_code& ec, size_t) {
    self->deadline_.cancel();
    if (ec) {
      if (ec == http::error::body_limit) {
        self->Respond(413, "body too large\n", false);
      } else {
        self->Close();
      }
      return;
    }
    self->OnRequest();
  });
}

void HttpConnection::OnRequest() {
  Request& req = parser_->get();
  const Routes& routes = listener_->routes();
  const auto& config = listener_->node().config();
  const std::string_view path = PathOf(SV(req.target()));

  if (routes.health && path == config.health_path) {
    return Respond(200, std::string(kHealthBody), req.keep_alive());
  }
  if (routes.metrics != nullptr && path == config.metrics_http) {
    return Respond(200, routes.metrics->Prometheus(), req.keep_alive());
  }
  if (routes.broadcast && path == config.http_broadcast_path) return HandleBroadcast(req);
  if (routes.websocket) {
    for (const auto& p : config.paths) {
      if (PathMatches(p, path)) return Upgrade(req);
    }
  }
  Respond(404, "not found\n", req.keep_alive());
}

void HttpConnection::HandleBroadcast(Request& req) {
  auto& node = listener_->node();
  if (req.method() != http::verb::post) return Respond(422, "use POST\n", req.keep_alive());
  const std::string& key = listener_->routes().broadcast_key;
  if (!key.empty()) {
    std::string_view auth = SV(req[http::field::authorization]);
    static constexpr std::string_view kBearer = "Bearer ";
    if (auth.size() <= kBearer.size() || auth.substr(0, kBearer.size()) != kBearer ||
        !ConstantTimeEquals(auth.substr(kBearer.size()), key)) {
      return Respond(401, "unauthorized\n", req.keep_alive());
    }
  }
  auto parsed = ParsePublication(req.body());
  if (!parsed.ok()) {
    // anycable-go answers 201 even here; a clear 422 tells the publisher
    // its message went nowhere.
    Inc(node.metrics().failed_broadcast_msg_total);
    log::Warn("Rejected broadcast: {}", parsed.error().message);
    return Respond(422, parsed.error().message + "\n", req.keep_alive());
  }
  for (auto& b : parsed->broadcasts) node.Publish(std::move(b));
  for (auto& d : parsed->disconnects) node.PublishRemoteDisconnect(d.identifiers, d.reconnect);
  Respond(201, "", req.keep_alive());
}

void HttpConnection::Upgrade(Request& req) {
  auto& node = listener_->node();
  const auto& config = node.config();
  if (req.method() != http::verb::get || !beast::websocket::is_upgrade(req) ||
      req[http::field::sec_websocket_version] != "13" ||
      req[http::field::sec_websocket_key].empty()) {
    return Respond(400, "expected a WebSocket upgrade (version 13)\n", false);
  }
  if (!OriginAllowed(SV(req[http::field::origin]), config.allowed_origins)) {
    return Respond(403, "origin not allowed\n", false);
  }

  SessionInfo info;
  auto query = ParseQuery(QueryOf(SV(req.target())));
  auto request_id = req["X-Request-ID"];
  info.sid =
      !request_id.empty() && request_id.size() <= 128 ? std::string(request_id) : RandomSid();
  info.url = (stream_.secure() ? "https://" : "http://") + std::string(req[http::field::host]) +
             std::string(req.target());
  for (const auto& name : config.headers) {
    auto value = req[name];
    if (value.empty()) continue;
    if (name == "cookie") {
      info.headers.emplace_back(name, FilterCookies(SV(value), config.proxy_cookies));
    } else {
      info.headers.emplace_back(name, std::string(value));
    }
  }
  boost::system::error_code ec;
  auto remote = stream_.socket().remote_endpoint(ec);
  if (!ec) info.headers.emplace_back("REMOTE_ADDR", remote.address().to_string());
  const std::string_view offered = SV(req[http::field::sec_websocket_protocol]);
  info.subprotocol = NegotiateSubprotocol(offered);
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
  if (ptp.empty()) ptp = config.ping_timestamp_precision;
  info.ping_precision = ptp == "ms"   ? PingPrecision::kMillis
                        : ptp == "ns" ? PingPrecision::kNanos
                                      : PingPrecision::kSeconds;
  info.connection_slot = std::move(slot_);

  std::string response =
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: " +
      ws::AcceptKey(SV(req[http::field::sec_websocket_key])) + "\r\n";
  if (!info.subprotocol.empty()) response += "Sec-WebSocket-Protocol: " + info.subprotocol + "\r\n";
  response += std::string("X-AnyCable-Version: ") + build::kVersion + "\r\n\r\n";

  // Bytes the client sent right after its request belong to the session.
  auto data = buffer_.data();
  std::string leftover(static_cast<const char*>(data.data()), data.size());

  upgraded_ = true;
  deadline_.cancel();
  auto session = std::make_shared<Session>(node, worker_, std::move(stream_.socket()),
                                           std::move(info), stream_.ReleaseSsl());
  session->Start(std::move(leftover), std::move(response));
}

void HttpConnection::Respond(unsigned status, std::string body, bool keep_alive) {
  auto res =
      std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
  res->set(http::field::server, "cable");
  res->set(http::field::content_type, "text/plain; charset=utf-8");
  res->keep_alive(keep_alive);
  res->body() = std::move(body);
  res->prepare_payload();
  auto self = shared_from_this();
  http::async_write(stream_, *res,
                    [self, res, keep_alive](const boost::system::error_code& ec, size_t) {
                      if (ec || !keep_alive) return self->Close();
                      self->ReadHeader();
                    });
}

void HttpConnection::Close() {
  deadline_.cancel();
  stream_.Close();
}

}  // namespace cable::server
