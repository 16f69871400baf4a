#include <boost/asio/post.hpp>

#include "common/auth/constant_time.h"
#include "common/log.h"
#include "common/strings.h"
#include "server/node.h"
#include "server/protocol/presence_messages.h"
#include "server/transport/http_connection.h"
#include "server/transport/http_text.h"
#include "server/transport/listener.h"
#include "server/transport/request_info.h"

// HttpConnection: anycable-go's REST API (spec §10.6) under --api_path —
// `POST /publish` (the HTTP broadcaster's body and answers) and
// `GET /presence/<stream>/users`. Everything is decided from the headers
// before a body is read, as for broadcasts.

namespace cable::server {

namespace beast = boost::beast;
namespace http = beast::http;

bool HttpConnection::Authorized(const Request& req, const std::string& key) const {
  if (key.empty()) return true;
  std::string_view auth = SV(req[http::field::authorization]);
  static constexpr std::string_view kBearer = "Bearer ";
  return auth.size() > kBearer.size() && auth.substr(0, kBearer.size()) == kBearer &&
         auth::ConstantTimeEquals(auth.substr(kBearer.size()), key);
}

// The Access-Control-Allow-Origin to answer with: `*` without
// --allowed_origins, else the request's origin when it is allowed.
std::string HttpConnection::CorsOrigin(const Request& req) const {
  const auto& allowed = listener_->node().config().allowed_origins;
  if (allowed.empty()) return "*";
  std::string_view origin = SV(req[http::field::origin]);
  return OriginAllowed(origin, allowed) ? std::string(origin) : std::string();
}

bool HttpConnection::ApplyCors(const Request& req, bool keep_alive) {
  cors_origin_ = CorsOrigin(req);
  if (req.method() != http::verb::options) return false;
  Respond(200, "", keep_alive,
          {{"Access-Control-Allow-Methods", kCorsMethods},
           {"Access-Control-Allow-Headers", kCorsHeaders}});
  return true;
}

// `path` is the request path below --api_path, still percent-encoded.
void HttpConnection::RouteApi(Request& req, std::string_view path) {
  const Routes& routes = listener_->routes();
  const bool keep_alive = req.keep_alive() && !HasBody();
  if (path == "/publish") {
    if (routes.api_cors && ApplyCors(req, keep_alive)) return;
    return AdmitBroadcast(req, routes.api_key);
  }
  static constexpr std::string_view kPresence = "/presence/";
  static constexpr std::string_view kUsers = "/users";
  if (path.starts_with(kPresence) && path.ends_with(kUsers) &&
      path.size() > kPresence.size() + kUsers.size()) {
    // The stream is one segment: a `/` in its name travels as %2F, so
    // names like chat/1 work (anycable-go decodes first and answers 404).
    std::string_view segment =
        path.substr(kPresence.size(), path.size() - kPresence.size() - kUsers.size());
    if (segment.find('/') == std::string_view::npos) {
      if (req.method() != http::verb::get) return Respond(422, "use GET\n", keep_alive);
      if (!Authorized(req, routes.api_key)) return Respond(401, "unauthorized\n", keep_alive);
      auto stream = PercentDecode(segment, PlusSign::kLiteral, BadEscape::kReject);
      if (!stream || stream->empty()) return Respond(404, "not found\n", keep_alive);
      return AnswerPresence(std::move(*stream), keep_alive);
    }
  }
  Respond(404, "not found\n", keep_alive);
}

void HttpConnection::AnswerPresence(std::string stream, bool keep_alive) {
  AnswerPresenceAs(std::move(stream), keep_alive, "Presence API",
                   [](const PresenceList& list) { return protocol::PresenceInfoJson(list); });
}

void HttpConnection::AnswerPresenceAs(std::string stream, bool keep_alive, const char* api,
                                      std::string (*encode)(const PresenceList&)) {
  Broker* broker = listener_->node().broker();
  if (!broker || !broker->has_presence()) {
    return Respond(501, "presence needs a broker that keeps it (--broker memory or redis)\n",
                   keep_alive);
  }
  auto self = shared_from_this();
  broker->PresenceInfo(stream, [self, keep_alive, api, encode](Result<PresenceList> list) {
    boost::asio::post(self->worker_.context(), [self, keep_alive, api, encode,
                                                list = std::move(list)] {
      if (!list.ok()) {
        log::Warn("{}: {}", api, list.error().message);
        return self->Respond(400, "presence could not be read: " + list.error().message + "\n",
                             keep_alive);
      }
      self->Respond(200, encode(list.value()), keep_alive, {{"Content-Type", "application/json"}});
    });
  });
}

}  // namespace cable::server
