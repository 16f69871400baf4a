#include "server/transport/listener.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <utility>

#include "common/log.h"
#include "server/node.h"
#include "server/transport/http_connection.h"

namespace cable::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr std::chrono::seconds kEpisodeLogInterval{10};
// Connections taken from the backlog per turn of the acceptor's loop, so
// that a connect storm does not hold up the sessions served there.
constexpr int kAcceptBatch = 64;
}  // namespace

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
  // Accepted sockets inherit it: one setsockopt() per server, not per client.
  if (!ec) acceptor_->set_option(tcp::no_delay(true), ec);
  if (!ec) acceptor_->non_blocking(true, ec);
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
    if (self->retry_timer_) self->retry_timer_->cancel();
    self->acceptor_->close(ec);
  });
}

// Waits for the backlog to hold a connection. Asio re-arms the listening
// socket for the wait, so connections already waiting are reported too.
void Listener::Accept() {
  if (stopped_) return;
  auto self = shared_from_this();
  acceptor_->async_wait(tcp::acceptor::wait_read, [self](const boost::system::error_code& ec) {
    if (ec) {
      if (ec == asio::error::operation_aborted || self->stopped_) return;
      return self->OnAcceptError(ec);
    }
    self->AcceptWaiting();
  });
}

// accept4() rather than Asio's accept: the socket comes non-blocking, with
// its peer's address, and stays out of Asio's reactor (the worker's poller
// watches it while the request is read).
void Listener::AcceptWaiting() {
  const int max = node_.config().max_conn;
  for (int i = 0; i < kAcceptBatch; ++i) {
    if (stopped_) return;
    if (max > 0 && connections_.load() >= max) {
      accept_paused_ = true;
      return;
    }
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    const int fd = ::accept4(acceptor_->native_handle(), reinterpret_cast<sockaddr*>(&addr), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Accept();
      return OnAcceptError(boost::system::error_code(errno, boost::system::system_category()));
    }
    OnAccepted();
    tcp::endpoint peer;
    std::memcpy(peer.data(), &addr, std::min<size_t>(len, peer.capacity()));
    Serve(node_.NextWorker(), fd, peer);
  }
  auto self = shared_from_this();
  asio::post(acceptor_->get_executor(), [self] { self->AcceptWaiting(); });
}

void Listener::OnAcceptError(const boost::system::error_code& ec) {
  using namespace std::chrono_literals;
  const bool out_of_resources = ec == asio::error::no_descriptors || ec.value() == ENFILE ||
                                ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
  if (!out_of_resources) {
    // The client went away between SYN and accept (ECONNABORTED and the
    // like): nothing to wait for.
    log::Debug("accept failed: {}", ec.message());
    return Accept();
  }
  if (failed_accepts_++ == 0) {
    // A server that hovers at its limit starts an episode each time one
    // descriptor frees up: those are logged at most once per interval.
    const auto now = std::chrono::steady_clock::now();
    failing_since_ = now;
    episode_logged_ = now - last_episode_logged_ >= kEpisodeLogInterval;
    if (episode_logged_) {
      last_episode_logged_ = now;
      log::Warn(
          "accept failed: {}; pausing new connections until resources free up (existing "
          "sessions are served)",
          ec.message());
    }
  }
  retry_delay_ =
      std::clamp(retry_delay_ * 2, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
  if (!retry_timer_) retry_timer_ = std::make_unique<asio::steady_timer>(acceptor_->get_executor());
  retry_timer_->expires_after(retry_delay_);
  auto self = shared_from_this();
  retry_timer_->async_wait([self](const boost::system::error_code& wait_ec) {
    if (!wait_ec) self->Accept();
  });
}

void Listener::OnAccepted() {
  if (failed_accepts_ == 0) return;
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - failing_since_).count();
  if (episode_logged_) {
    log::Warn("accepting connections again after {} failed accepts over {:.1f}s", failed_accepts_,
              seconds);
  }
  failed_accepts_ = 0;
  retry_delay_ = std::chrono::milliseconds(0);
}

void Listener::Serve(Worker& worker, int fd, const tcp::endpoint& peer) {
  tls::SslPtr ssl;
  if (tls_) {
    ssl = tls_->Accept(fd);
    if (!ssl) {
      log::Warn("TLS setup failed: {}", tls::ErrorText("out of memory"));
      ::close(fd);
      return;
    }
  }
  auto conn = std::make_shared<HttpConnection>(shared_from_this(), worker, fd, peer, std::move(ssl),
                                               AcquireSlot());
  if (worker.InThread()) return conn->Start();
  asio::post(worker.context(), [conn] { conn->Start(); });
}

ConnectionSlot Listener::AcquireSlot() {
  const int now = connections_.fetch_add(1) + 1;
  int peak = peak_connections_.load(std::memory_order_relaxed);
  while (now > peak && !peak_connections_.compare_exchange_weak(peak, now)) {
  }
  return ConnectionSlot(shared_from_this());
}

void ConnectionSlot::Release() {
  if (listener_) std::exchange(listener_, nullptr)->ReleaseSlot();
}

void Listener::ReleaseSlot() {
  connections_.fetch_sub(1);
  if (accept_paused_.exchange(false)) {
    auto self = shared_from_this();
    asio::post(acceptor_->get_executor(), [self] { self->Accept(); });
  }
}

}  // namespace cable::server
