#pragma once
// TLS termination for the listeners (--ssl_cert/--ssl_key). One TlsContext
// per process holds the certificate and key; every accepted connection gets
// its own SSL attached straight to the non-blocking socket, so TLS adds no
// buffering layer of ours between the socket and the session: reads and
// writes call SSL_read/SSL_write where a plain connection calls recv/send.
//
// Light on purpose (OpenSSL types are forward-declared): session.h includes
// it for SslPtr.

#include <cstddef>
#include <memory>
#include <string>

#include "common/result.h"

struct ssl_st;
struct ssl_ctx_st;

namespace cable::server::tls {

struct SslFree {
  void operator()(ssl_st* ssl) const noexcept;
};
// One connection's TLS state; empty for plain TCP.
using SslPtr = std::unique_ptr<ssl_st, SslFree>;

// Plaintext bytes per SSL_write call: one TLS record. Bounding a write to a
// record keeps what OpenSSL holds after a WANT_WRITE (bytes it has taken but
// not yet confirmed) to at most this many bytes at the head of the queue.
inline constexpr size_t kMaxRecordPlaintext = 16384;

class TlsContext {
 public:
  // Loads a PEM certificate chain and its PEM private key. The Error names
  // the flag and file at fault: unreadable, not PEM, or a key that does not
  // belong to the certificate. TLS 1.2 is the minimum version.
  static Result<std::shared_ptr<TlsContext>> Load(const std::string& cert_path,
                                                  const std::string& key_path);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Server-side TLS for an accepted non-blocking socket; the handshake runs
  // on the first reads and writes. Empty when OpenSSL cannot allocate.
  SslPtr Accept(int fd) const;

 private:
  explicit TlsContext(ssl_ctx_st* ctx) : ctx_(ctx) {}
  ssl_ctx_st* ctx_;
};

// The outcome of one SSL_read/SSL_write beyond "n bytes".
enum class IoStatus {
  kOk,         // bytes were transferred
  kWantRead,   // retry once the socket is readable
  kWantWrite,  // retry once the socket is writable
  kClosed,     // the peer closed the connection (close_notify or EOF)
  kFailed,     // protocol error or reset; see ErrorText()
};

// One SSL_read into buf[0..size); *n is set on kOk. Clears this thread's
// OpenSSL error queue first, which other connections on the worker share.
IoStatus Read(ssl_st* ssl, void* buf, size_t size, size_t* n);
// One SSL_write of at most kMaxRecordPlaintext bytes of data[0..size).
// After kWantRead/kWantWrite, the retry must pass the same leading bytes,
// at least as many as before (the buffer may move).
IoStatus Write(ssl_st* ssl, const void* data, size_t size, size_t* n);

// True when decrypted or unprocessed bytes wait inside OpenSSL, so the
// socket may never become readable for them.
bool HasPending(ssl_st* ssl);
// True until the handshake has completed.
bool InHandshake(ssl_st* ssl);
// Sends close_notify if the socket takes it now; never waits.
void ShutdownQuietly(ssl_st* ssl);
// The reasons in this thread's OpenSSL error queue (which it empties), or
// `fallback` when it is empty.
std::string ErrorText(const std::string& fallback = "connection reset");

}  // namespace cable::server::tls
