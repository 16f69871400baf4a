#include <sys/socket.h>

#include <boost/asio/write.hpp>
#include <cerrno>

#include "server/ds/ds_request.h"
#include "server/node.h"
#include "server/session/session.h"
#include "server/transport/http_connection.h"
#include "server/transport/http_text.h"
#include "server/transport/listener.h"
#include "server/transport/request_info.h"

// HttpConnection: Durable Streams reads under --ds_path (spec §11.3). The
// request itself is a ds::DsRequest; the connection lends it its socket as
// a byte pipe and, once the response is written, reads the next request
// (keep-alive), as DS clients issue one read after another.

namespace cable::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

bool HttpConnection::IsDsTarget(std::string_view path) const {
  const std::string& prefix = listener_->node().config().ds_path;
  return path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

void HttpConnection::RouteDs(Request& req) {
  const std::string common = SseCorsHeaders(req);
  // Reads take no body; one announced is not read and the answer closes
  // the connection.
  if (HasBody()) {
    return Respond(400, "a Durable Streams read has no body\n", false);
  }
  const auto target = SplitTarget(SV(req.target()));
  const std::string& prefix = listener_->node().config().ds_path;

  ds::DsRequestInfo info;
  switch (req.method()) {
    case http::verb::get:
      info.method = ds::DsMethod::kGet;
      break;
    case http::verb::head:
      info.method = ds::DsMethod::kHead;
      break;
    case http::verb::options:
      info.method = ds::DsMethod::kOptions;
      break;
    default:
      info.method = ds::DsMethod::kOther;
  }
  info.http11 = req.version() == 11;
  info.keep_alive = req.keep_alive();
  const std::string_view rest = target.path.substr(prefix.size());
  info.stream_path = std::string(rest.empty() ? rest : rest.substr(1));
  info.query = ParseQuery(target.query);
  info.signed_header = std::string(SV(req["X-Signed"]));
  info.common_headers = common;
  SessionInfo session;
  FillSessionInfo(req, /*websocket=*/false, session);
  slot_ = std::move(session.connection_slot);  // the connection keeps it
  info.sid = std::move(session.sid);
  info.url = std::move(session.url);
  info.headers = std::move(session.headers);
  info.token = std::move(session.token);

  auto self = shared_from_this();
  ds::DsConnection conn;
  conn.write = [self](std::string bytes, std::function<void(bool)> done) {
    auto data = std::make_shared<std::string>(std::move(bytes));
    asio::async_write(self->Stream(), asio::buffer(*data),
                      [self, data, done = std::move(done)](const boost::system::error_code& ec,
                                                           size_t) { done(!ec); });
  };
  conn.finish = [self](bool keep_alive) {
    if (!keep_alive) return self->Close();
    self->ReadHeader();
  };
  // Readable while the request waits: either the client closed (EOF or
  // an error, seen by peeking without taking anything) or it sent more,
  // which stays for the next request.
  conn.watch_close = [self](std::function<void()> gone) {
    self->Stream().socket().async_wait(
        asio::socket_base::wait_read,
        [self, gone = std::move(gone)](const boost::system::error_code& ec) {
          if (ec) return;
          char byte;
          const ssize_t n =
              ::recv(self->Stream().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
          if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            gone();
          }
        });
  };
  auto request =
      std::make_shared<ds::DsRequest>(listener_->node(), worker_, std::move(conn), std::move(info));
  request->Start();
}

}  // namespace cable::server
