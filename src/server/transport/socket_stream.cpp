#include "server/transport/socket_stream.h"

#include "common/log.h"

namespace cable::server {

namespace asio = boost::asio;

void SocketStream::Close() {
  if (ssl_) {
    tls::ShutdownQuietly(ssl_.get());
    // Freed before the descriptor is: its number may soon belong to
    // another connection.
    ssl_.reset();
  }
  boost::system::error_code ec;
  socket_.shutdown(asio::socket_base::shutdown_both, ec);
  socket_.close(ec);
}

boost::system::error_code SocketStream::Transfer(bool write, void* data, size_t size, size_t* n,
                                                 asio::socket_base::wait_type* wait) {
  // A wait that completed just before Close() ran.
  if (!ssl_) return asio::error::operation_aborted;
  if (size == 0) return {};
  const bool handshaking = tls::InHandshake(ssl_.get());
  switch (write ? tls::Write(ssl_.get(), data, size, n) : tls::Read(ssl_.get(), data, size, n)) {
    case tls::IoStatus::kOk:
      return {};
    case tls::IoStatus::kWantRead:
      *wait = asio::socket_base::wait_read;
      return asio::error::would_block;
    case tls::IoStatus::kWantWrite:
      *wait = asio::socket_base::wait_write;
      return asio::error::would_block;
    case tls::IoStatus::kClosed:
      return asio::error::eof;
    case tls::IoStatus::kFailed:
      break;
  }
  const std::string why = tls::ErrorText();
  if (handshaking) {
    // Plain HTTP to a TLS port, scanners, clients that distrust the
    // certificate: this connection's business only.
    boost::system::error_code ec;
    auto remote = socket_.remote_endpoint(ec);
    log::Debug("TLS handshake failed from {}: {}", ec ? "?" : remote.address().to_string(), why);
  } else {
    log::Debug("TLS connection failed: {}", why);
  }
  return asio::error::connection_reset;
}

}  // namespace cable::server
