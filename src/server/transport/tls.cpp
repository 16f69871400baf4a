#include "server/transport/tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "common/sigpipe.h"

namespace cable::server::tls {

namespace {

// Encrypted keys would make OpenSSL prompt on the terminal; refuse instead.
int NoPassword(char*, int, int, void*) {
  return 0;
}

Status Readable(const std::string& flag, const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (!f) {
    return Error{"tls", flag + " " + path + ": cannot read: " + std::strerror(errno)};
  }
  std::fclose(f);
  return Status::Ok();
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};

}  // namespace

void SslFree::operator()(ssl_st* ssl) const noexcept {
  SSL_free(ssl);
}

std::string ErrorText(const std::string& fallback) {
  std::string text;
  while (unsigned long e = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(e);
    if (!text.empty()) text += "; ";
    text += reason ? reason : "error " + std::to_string(ERR_GET_REASON(e));
  }
  return text.empty() ? fallback : text;
}

Result<std::shared_ptr<TlsContext>> TlsContext::Load(const std::string& cert_path,
                                                     const std::string& key_path) {
  if (cert_path.empty() || key_path.empty()) {
    return Error{"tls", std::string("TLS needs both --ssl_cert and --ssl_key; ") +
                            (cert_path.empty() ? "--ssl_cert" : "--ssl_key") + " is missing"};
  }
  if (auto s = Readable("--ssl_cert", cert_path); !s.ok()) return s.error();
  if (auto s = Readable("--ssl_key", key_path); !s.ok()) return s.error();

  // A client that resets the connection must cost its session, not the
  // process: OpenSSL writes with write(2).
  IgnoreSigpipeOnce();
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return Error{"tls", "cannot create a TLS context: " + ErrorText("out of memory")};
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  // Renegotiation is the only way a write could need a read first; a
  // client asking for it gets an alert instead. Unexpected EOF counts as a
  // close: WebSocket and HTTP frame their own ends.
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF |
                                     SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  // Partial writes and a moving buffer let a session retry a blocked write
  // from its queue (gathered into the worker's scratch buffer or not);
  // released buffers keep an idle TLS session to its SSL state alone.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                  SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_default_passwd_cb(ctx.get(), NoPassword);

  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_path.c_str()) != 1) {
    return Error{"tls", "--ssl_cert " + cert_path + ": not a PEM certificate (" +
                            ErrorText("no certificate found") + ")"};
  }
  std::unique_ptr<BIO, BioFree> bio(BIO_new_file(key_path.c_str(), "r"));
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassword, nullptr) : nullptr);
  if (!key) {
    return Error{"tls", "--ssl_key " + key_path + ": not an unencrypted PEM private key (" +
                            ErrorText("no private key found") + ")"};
  }
  if (X509_check_private_key(SSL_CTX_get0_certificate(ctx.get()), key.get()) != 1) {
    ERR_clear_error();
    return Error{"tls", "--ssl_key " + key_path + " does not match the certificate in --ssl_cert " +
                            cert_path};
  }
  if (SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1 ||
      SSL_CTX_check_private_key(ctx.get()) != 1) {
    return Error{"tls", "--ssl_key " + key_path + ": " + ErrorText("unusable private key")};
  }
  return std::shared_ptr<TlsContext>(new TlsContext(ctx.release()));
}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

SslPtr TlsContext::Accept(int fd) const {
  SslPtr ssl(SSL_new(ctx_));
  if (!ssl || SSL_set_fd(ssl.get(), fd) != 1) return nullptr;
  SSL_set_accept_state(ssl.get());
  return ssl;
}

namespace {
IoStatus Classify(ssl_st* ssl, int ret) {
  switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_READ:
      return IoStatus::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return IoStatus::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return IoStatus::kClosed;
    default:  // SSL_ERROR_SSL, or SSL_ERROR_SYSCALL (reset; EOF is ZERO_RETURN here)
      return IoStatus::kFailed;
  }
}
}  // namespace

IoStatus Read(ssl_st* ssl, void* buf, size_t size, size_t* n) {
  ERR_clear_error();
  const int ret = SSL_read(ssl, buf, size > INT_MAX ? INT_MAX : static_cast<int>(size));
  if (ret > 0) {
    *n = static_cast<size_t>(ret);
    return IoStatus::kOk;
  }
  return Classify(ssl, ret);
}

IoStatus Write(ssl_st* ssl, const void* data, size_t size, size_t* n) {
  ERR_clear_error();
  const int ret = SSL_write(
      ssl, data, static_cast<int>(size > kMaxRecordPlaintext ? kMaxRecordPlaintext : size));
  if (ret > 0) {
    *n = static_cast<size_t>(ret);
    return IoStatus::kOk;
  }
  return Classify(ssl, ret);
}

bool HasPending(ssl_st* ssl) {
  return SSL_has_pending(ssl) == 1;
}

bool InHandshake(ssl_st* ssl) {
  return SSL_is_init_finished(ssl) != 1;
}

void ShutdownQuietly(ssl_st* ssl) {
  if (SSL_is_init_finished(ssl) == 1) {
    ERR_clear_error();
    SSL_shutdown(ssl);
  }
  ERR_clear_error();
}

}  // namespace cable::server::tls
