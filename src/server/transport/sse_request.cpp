#include "cable/build_info.h"
#include "common/log.h"
#include "server/node.h"
#include "server/session/session.h"
#include "server/transport/http_connection.h"
#include "server/transport/http_text.h"
#include "server/transport/listener.h"
#include "server/transport/request_info.h"
#include "server/transport/sse_subscribe.h"

// HttpConnection: Server-Sent Events at --sse_path (spec §11.1). As for every
// route, what the headers decide is decided before a body is read: OPTIONS
// (CORS preflight), 405 for other methods, 413 for a POST body announced
// above 64 KiB. GET subscribes from the query; POST reads its body of JSON
// lines first. Then the connection becomes a session writing SSE, which
// answers 200, 401 or 400 once authentication and the subscriptions are
// settled.

namespace cable::server {

namespace beast = boost::beast;
namespace http = beast::http;

bool HttpConnection::IsSseTarget(const Request& req) const {
  return listener_->routes().sse &&
         PathMatches(listener_->node().config().sse_path, SplitTarget(SV(req.target())).path);
}

// Every SSE answer carries them, errors included, as anycable-go's does: a
// page on another origin can then tell a 401 from a network failure.
std::string HttpConnection::SseCorsHeaders(const Request& req) const {
  std::string out = std::string("X-AnyCable-Version: ") + build::kVersion + "\r\n";
  if (const std::string origin = CorsOrigin(req); !origin.empty()) {
    out += "Access-Control-Allow-Origin: " + origin + "\r\n";
  }
  out += "Access-Control-Allow-Methods: " + std::string(kCorsMethods) + "\r\n";
  out += "Access-Control-Allow-Credentials: true\r\n";
  out += "Access-Control-Allow-Headers: " + std::string(kCorsHeaders) + "\r\n";
  return out;
}

void HttpConnection::RouteSse(Request& req) {
  // A body that will not be read closes the connection after the answer.
  const bool keep_alive = req.keep_alive() && !HasBody();
  const std::string origin = CorsOrigin(req);
  auto respond = [&](unsigned status, std::string body, bool keep) {
    Respond(status, std::move(body), keep,
            {{"X-AnyCable-Version", build::kVersion},
             {"Access-Control-Allow-Origin", origin},
             {"Access-Control-Allow-Methods", kCorsMethods},
             {"Access-Control-Allow-Credentials", "true"},
             {"Access-Control-Allow-Headers", kCorsHeaders},
             {"Allow", status == 405 ? "GET, POST, OPTIONS" : ""}});
  };
  const auto method = req.method();
  if (method == http::verb::options) return respond(200, "", keep_alive);
  if (method != http::verb::get && method != http::verb::post) {
    return respond(405, "use GET or POST\n", keep_alive);
  }
  // The event stream is a chunked body, which HTTP/1.0 does not have.
  if (req.version() != 11) return respond(505, "HTTP/1.1 required\n", false);

  if (method == http::verb::get) {
    if (HasBody()) return respond(400, "a GET request has no body\n", false);
    const auto target = SplitTarget(SV(req.target()));
    auto subscribe = SseSubscribeFromQuery(ParseQuery(target.query), SV(req["Last-Event-ID"]));
    if (!subscribe.ok()) return respond(400, subscribe.error().message + "\n", keep_alive);
    std::vector<protocol::ClientCommand> subscribes;
    subscribes.push_back(std::move(subscribe.value()));
    return StartSse(req, std::move(subscribes));
  }

  body_use_ = BodyUse::kSse;
  if (HasBody()) {
    const size_t announced = parser_->content_length().value_or(kSseMaxBody);
    if (announced > kSseMaxBody) return RefuseLargeBody();
    parser_->body_limit(kSseMaxBody);
    auto& node = listener_->node();
    body_reservation_ = node.body_budget().TryReserve(announced);
    if (!body_reservation_) {
      log::Warn("SSE request refused: {} bytes of bodies already in flight (limit {})",
                node.body_budget().used(), node.body_budget().limit());
      return respond(503, "too many request bodies in flight; retry later\n", false);
    }
  }
  if (beast::iequals(req[http::field::expect], "100-continue") && !parser_->is_done()) {
    return SendContinue();
  }
  ReadBody();
}

void HttpConnection::OnSseBody() {
  Request& req = parser_->get();
  auto subscribes = SseSubscribesFromBody(req.body());
  body_reservation_.Release();
  if (!subscribes.ok()) {
    const std::string origin = CorsOrigin(req);
    return Respond(400, subscribes.error().message + "\n", req.keep_alive(),
                   {{"X-AnyCable-Version", build::kVersion},
                    {"Access-Control-Allow-Origin", origin},
                    {"Access-Control-Allow-Methods", kCorsMethods},
                    {"Access-Control-Allow-Credentials", "true"},
                    {"Access-Control-Allow-Headers", kCorsHeaders}});
  }
  StartSse(req, std::move(subscribes.value()));
}

void HttpConnection::StartSse(Request& req, std::vector<protocol::ClientCommand> subscribes) {
  auto& node = listener_->node();
  SessionInfo info;
  FillSessionInfo(req, /*websocket=*/false, info);
  // GET is EventSource's: data events carry only their message.
  const auto query = ParseQuery(SplitTarget(SV(req.target())).query);
  info.framing = SseFraming(req.method() == http::verb::get, SseRawParam(QueryValue(query, "raw")));

  SseStart start;
  start.subscribes = std::move(subscribes);
  start.refusal_headers = SseCorsHeaders(req);
  start.head =
      "HTTP/1.1 200 OK\r\n"
      "Server: cable\r\n"
      "Content-Type: text/event-stream; charset=utf-8\r\n"
      "Cache-Control: private, no-cache, no-store, must-revalidate, max-age=0\r\n"
      "Pragma: no-cache\r\n"
      "Expires: 0\r\n"
      "X-Content-Type-Options: nosniff\r\n"
      "X-Accel-Buffering: no\r\n"
      "Connection: keep-alive\r\n"
      "Transfer-Encoding: chunked\r\n" +
      start.refusal_headers + "\r\n";

  upgraded_ = true;
  deadline_.cancel();
  parser_.reset();  // the request (and a POST body) is not needed any more
  bool watched = false;
  info.fd = TakeDescriptor(&watched);
  auto session = std::make_shared<Session>(node, worker_, std::move(info), stream_.ReleaseSsl());
  session->StartSse(std::move(start), watched);
}

}  // namespace cable::server
