#pragma once
// TLS for cable's clients (the test/conformance WebSocket client, the HTTP
// client, `cable bench`): one way to build a client context and to say
// which server name its certificate must carry.

#include <memory>
#include <string>

#include "common/result.h"

struct ssl_st;
struct ssl_ctx_st;

namespace cable::tls {

struct ClientTrust {
  bool verify = true;   // false: accept any certificate (self-signed test servers)
  std::string ca_file;  // PEM to trust; empty: the system trust store
  // A client certificate (chain) and its key in PEM, for servers that ask
  // for one (mutual TLS); empty: none.
  std::string cert_file, key_file;
};

// A TLS 1.2+ client context. Partial writes and moving write buffers are
// allowed, as non-blocking writers retry from their own queues. Ignores
// SIGPIPE (OpenSSL writes with write(2)).
Result<std::shared_ptr<ssl_ctx_st>> MakeClientContext(const ClientTrust& trust);

// SNI and the DNS name, or the IP address, the server's certificate must
// carry.
void ExpectPeerName(ssl_st* ssl, const std::string& host);

// Why verification failed (e.g. "self-signed certificate"); empty when the
// certificate was accepted.
std::string VerifyFailure(const ssl_st* ssl);

}  // namespace cable::tls
