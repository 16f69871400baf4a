#include "server/transport/listener.h"

#include <boost/asio/post.hpp>

#include "common/log.h"
#include "server/node.h"
#include "server/transport/http_connection.h"

namespace cable::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Listener::Listener(Node& node, Routes routes, std::shared_ptr<const tls::TlsContext> tls)
    : node_(node), routes_(std::move(routes)), tls_(std::move(tls)) {}

Status Listener::Open(const std::string& host, int port) {
  auto& ctx = node_.workers().front()->context();
  boost::system::error_code ec;
  tcp::resolver resolver(ctx);
  auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty()) {
    return Error{"resolve", "cannot resolve host \"" + host + "\": " + ec.message()};
  }
  tcp::endpoint endpoint = results.begin()->endpoint();
  acceptor_ = std::make_unique<tcp::acceptor>(ctx);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error{"listen",
                 "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message()};
  }
  port_ = acceptor_->local_endpoint().port();
  return Status::Ok();
}

void Listener::Start() {
  auto self = shared_from_this();
  asio::post(acceptor_->get_executor(), [self] { self->Accept(); });
}

void Listener::Stop() {
  stopped_ = true;
  auto self = shared_from_this();
  asio::post(acceptor_->get_executor(), [self] {
    boost::system::error_code ec;
    self->acceptor_->close(ec);
  });
}

void Listener::Accept() {
  if (stopped_) return;
  const int max = node_.config().max_conn;
  if (max > 0 && connections_.load() >= max) {
    accept_paused_ = true;
    return;
  }
  Worker& worker = node_.NextWorker();
  auto self = shared_from_this();
  acceptor_->async_accept(worker.context(),
                          [self, &worker](const boost::system::error_code& ec, tcp::socket socket) {
                            if (ec) {
                              if (ec == asio::error::operation_aborted || self->stopped_) return;
                              // EMFILE and friends: log and keep accepting after a short pause
                              // would be ideal; retrying at once keeps the server responsive.
                              log::Warn("accept failed: {}", ec.message());
                            } else {
                              self->Serve(worker, std::move(socket));
                            }
                            self->Accept();
                          });
}

void Listener::Serve(Worker& worker, tcp::socket socket) {
  tls::SslPtr ssl;
  if (tls_) {
    ssl = tls_->Accept(socket.native_handle());
    if (!ssl) {
      log::Warn("TLS setup failed: {}", tls::ErrorText("out of memory"));
      return;
    }
  }
  auto conn = std::make_shared<HttpConnection>(shared_from_this(), worker, std::move(socket),
                                               std::move(ssl), AcquireSlot());
  asio::post(worker.context(), [conn] { conn->Start(); });
}

std::shared_ptr<void> Listener::AcquireSlot() {
  connections_.fetch_add(1);
  auto self = shared_from_this();
  return std::shared_ptr<void>(nullptr, [self](void*) { self->ReleaseSlot(); });
}

void Listener::ReleaseSlot() {
  connections_.fetch_sub(1);
  if (accept_paused_.exchange(false)) {
    auto self = shared_from_this();
    asio::post(acceptor_->get_executor(), [self] { self->Accept(); });
  }
}

}  // namespace cable::server
