#include <atomic>
#include <boost/asio/post.hpp>
#include <chrono>

#include "common/log.h"
#include "common/strings.h"
#include "server/broker/broker.h"
#include "server/node.h"
#include "server/pusher/pusher_settings.h"
#include "server/pusher/rest_api.h"
#include "server/pusher/signatures.h"
#include "server/transport/http_connection.h"
#include "server/transport/http_text.h"
#include "server/transport/listener.h"
#include "server/transport/request_info.h"

// HttpConnection: the Pusher REST API (spec §11.4) under /apps/<app id>/ —
// `POST /events` and `GET /channels/<channel>/users`. The request's
// signature is checked from its line alone (it covers the body through
// body_md5), so an unsigned request never makes the server read a body;
// the body's MD5 is checked once it has been read.

namespace cable::server {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {
int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

// `path` is the whole request path, /apps/<id>/..., still percent-encoded.
void HttpConnection::RoutePusherApi(Request& req, std::string_view path) {
  const auto& config = listener_->node().config();
  const bool keep_alive = req.keep_alive() && !HasBody();
  // As anycable-go, the API shares the HTTP broadcaster's CORS setting.
  if (config.http_broadcast_cors && ApplyCors(req, keep_alive)) return;
  const bool post = req.method() == http::verb::post;
  if (!post && req.method() != http::verb::get)
    return Respond(422, "use POST or GET\n", keep_alive);
  // Clients sign the path as they meant it, i.e. decoded (Go's URL.Path).
  auto decoded = PercentDecode(path, PlusSign::kLiteral, BadEscape::kReject);
  const std::string prefix = "/apps/" + config.pusher.app_id;
  if (!decoded || !decoded->starts_with(prefix)) return Respond(404, "not found\n", keep_alive);
  const auto query = ParseQuery(SplitTarget(SV(req.target())).query);
  if (auto s = pusher::CheckRequestSignature(config.pusher.secret, post ? "POST" : "GET", *decoded,
                                             query, NowSeconds());
      !s.ok()) {
    log::Debug("Pusher API request refused: {}", s.error().message);
    return Respond(401, "unauthorized\n", keep_alive);
  }
  const std::string_view rest = std::string_view(*decoded).substr(prefix.size());
  if (post) {
    if (rest != "/events") return Respond(404, "not found\n", keep_alive);
    body_use_ = BodyUse::kPusherEvents;
    return ReadAdmittedBody(req);
  }
  std::string channel = pusher::UsersChannel(rest);
  if (channel.empty()) return Respond(404, "not found\n", keep_alive);
  if (pusher::KindOf(channel) != pusher::ChannelKind::kPresence) {
    return Respond(400, "users are listed for presence- channels only\n", keep_alive);
  }
  AnswerPusherUsers(std::move(channel), keep_alive);
}

void HttpConnection::HandlePusherEvents(Request& req) {
  auto& node = listener_->node();
  const bool keep_alive = req.keep_alive();
  const auto query = ParseQuery(SplitTarget(SV(req.target())).query);
  const bool intact = pusher::BodyMd5Valid(query, req.body());
  auto events = intact ? pusher::ParseEvents(req.body())
                       : Result<std::vector<BroadcastPtr>>(Error{"body_md5", ""});
  parser_.reset();
  body_reservation_.Release();
  if (!intact) {
    log::Debug("Pusher API request refused: body_md5 does not match the body");
    return Respond(401, "unauthorized\n", keep_alive);
  }
  if (!events.ok()) {
    Inc(node.metrics().failed_broadcast_msg_total);
    log::Warn("Rejected Pusher event: {}", events.error().message);
    return Respond(422, events.error().message + "\n", keep_alive);
  }
  // Answered once every broadcast is published (stored, with a broker).
  struct Tally {
    std::atomic<size_t> left;
    std::atomic<bool> failed{false};
  };
  auto tally = std::make_shared<Tally>();
  tally->left = events->size();
  auto self = shared_from_this();
  for (auto& b : *events) {
    node.Publish(std::move(b), [self, tally, keep_alive](bool published) {
      if (!published) tally->failed = true;
      if (tally->left.fetch_sub(1) != 1) return;
      boost::asio::post(self->worker_.context(), [self, tally, keep_alive] {
        if (tally->failed) {
          return self->Respond(501, "the broker could not store the event; retry later\n",
                               keep_alive);
        }
        self->Respond(200, "{}", keep_alive, {{"Content-Type", "application/json"}});
      });
    });
  }
}

void HttpConnection::AnswerPusherUsers(std::string channel, bool keep_alive) {
  AnswerPresenceAs(std::move(channel), keep_alive, "Pusher API", pusher::UsersJson);
}

}  // namespace cable::server
