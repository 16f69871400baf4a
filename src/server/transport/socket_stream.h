#pragma once
// An accepted connection as Beast's HTTP code reads and writes it: the TCP
// socket itself, or TLS over that socket. It models AsyncReadStream and
// AsyncWriteStream, so HttpConnection parses HTTP the same way on both; a
// plain stream forwards each call to the socket unchanged.
//
// TLS operations run on readiness: SSL_read/SSL_write are tried at once and,
// when OpenSSL wants the socket readable or writable first, retried after an
// async_wait. The handshake happens inside the first read, so the deadline
// that bounds reading the request header bounds the handshake too.

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <cstddef>

#include "server/transport/tls.h"

namespace cable::server {

class SocketStream {
 public:
  using executor_type = boost::asio::ip::tcp::socket::executor_type;

  // `ssl` empty: plain TCP. OpenSSL reads and writes the descriptor itself,
  // which must therefore never block.
  SocketStream(boost::asio::ip::tcp::socket socket, tls::SslPtr ssl)
      : socket_(std::move(socket)), ssl_(std::move(ssl)), secure_(ssl_ != nullptr) {
    boost::system::error_code ec;
    if (ssl_) socket_.non_blocking(true, ec);
  }

  executor_type get_executor() { return socket_.get_executor(); }
  boost::asio::ip::tcp::socket& socket() { return socket_; }
  // Whether the connection was accepted with TLS (stays true after Close).
  bool secure() const { return secure_; }
  // Hands the TLS state over (to the WebSocket session).
  tls::SslPtr ReleaseSsl() { return std::move(ssl_); }

  // Sends close_notify when it can, frees the TLS state, closes the socket.
  // Operations still pending complete with operation_aborted.
  void Close();

  template <typename MutableBuffers, typename Handler>
  auto async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    return boost::asio::async_initiate<Handler, void(boost::system::error_code, size_t)>(
        [this](auto h, const MutableBuffers& b) {
          if (!ssl_) return socket_.async_read_some(b, std::move(h));
          auto buf = FirstBuffer<boost::asio::mutable_buffer>(b);
          TlsOp<decltype(h)>{this, false, buf.data(), buf.size(), {}, std::move(h)}();
        },
        handler, buffers);
  }

  template <typename ConstBuffers, typename Handler>
  auto async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    return boost::asio::async_initiate<Handler, void(boost::system::error_code, size_t)>(
        [this](auto h, const ConstBuffers& b) {
          if (!ssl_) return socket_.async_write_some(b, std::move(h));
          auto first = FirstBuffer<boost::asio::const_buffer>(b);
          TlsOp<decltype(h)> op{this,         true, const_cast<void*>(first.data()),
                                first.size(), {},   std::move(h)};
          // Beast writes a response as header and body buffers: one record
          // for both, not two small segments for Nagle and delayed ACKs to
          // hold up.
          const size_t total = boost::asio::buffer_size(b);
          if (first.size() < total && first.size() < tls::kMaxRecordPlaintext) {
            op.gathered.resize(std::min(total, tls::kMaxRecordPlaintext));
            boost::asio::buffer_copy(boost::asio::buffer(op.gathered), b);
          }
          std::move(op)();
        },
        handler, buffers);
  }

 private:
  // One read or write: tries, waits for readiness as OpenSSL asks, tries
  // again with the same bytes, then completes.
  template <typename Handler>
  struct TlsOp {
    SocketStream* stream;
    bool write;
    void* data;
    size_t size;
    std::string gathered;  // when not empty, the bytes to write instead
    Handler handler;
    bool waited = false;  // false while still inside the initiating call

    void operator()(boost::system::error_code ec = {}) && {
      size_t n = 0;
      if (!ec) {
        boost::asio::socket_base::wait_type wait{};
        ec = gathered.empty()
                 ? stream->Transfer(write, data, size, &n, &wait)
                 : stream->Transfer(write, gathered.data(), gathered.size(), &n, &wait);
        if (ec == boost::asio::error::would_block) {
          waited = true;
          auto& socket = stream->socket_;
          socket.async_wait(wait, [op = std::move(*this)](boost::system::error_code e) mutable {
            std::move(op)(e);
          });
          return;
        }
      }
      if (!waited) {
        // Asio never completes an operation inside its initiating call.
        auto ex = boost::asio::get_associated_executor(handler, stream->get_executor());
        boost::asio::post(ex, boost::beast::bind_front_handler(std::move(handler), ec, n));
        return;
      }
      std::move(handler)(ec, n);
    }
  };

  template <typename Buffer, typename Buffers>
  static Buffer FirstBuffer(const Buffers& buffers) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      Buffer b(*it);
      if (b.size() > 0) return b;
    }
    return Buffer();
  }

  // One SSL_read/SSL_write; would_block with `*wait` set when the socket
  // must become ready first. The connection's TLS must still be there.
  boost::system::error_code Transfer(bool write, void* data, size_t size, size_t* n,
                                     boost::asio::socket_base::wait_type* wait);

  boost::asio::ip::tcp::socket socket_;
  tls::SslPtr ssl_;
  bool secure_;
};

}  // namespace cable::server
