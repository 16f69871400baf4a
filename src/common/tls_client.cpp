#include "common/tls_client.h"

#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/sigpipe.h"

namespace cable::tls {

Result<std::shared_ptr<SSL_CTX>> MakeClientContext(const ClientTrust& trust) {
  IgnoreSigpipeOnce();
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!ctx) return Error{"tls", "cannot create a TLS context"};
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (!trust.cert_file.empty() || !trust.key_file.empty()) {
    if (trust.cert_file.empty() || trust.key_file.empty())
      return Error{"tls", "a client certificate needs both its certificate and its key file"};
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), trust.cert_file.c_str()) != 1)
      return Error{"tls", "cannot load the client certificate from " + trust.cert_file};
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), trust.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
      return Error{"tls", "cannot load the client key from " + trust.key_file};
    if (SSL_CTX_check_private_key(ctx.get()) != 1)
      return Error{"tls",
                   "the client key " + trust.key_file + " does not belong to " + trust.cert_file};
  }
  if (!trust.verify) return ctx;
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (trust.ca_file.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1)
      return Error{"tls", "cannot load the system trust store"};
  } else if (SSL_CTX_load_verify_locations(ctx.get(), trust.ca_file.c_str(), nullptr) != 1) {
    return Error{"tls", "cannot load CA certificates from " + trust.ca_file};
  }
  return ctx;
}

void ExpectPeerName(SSL* ssl, const std::string& host) {
  in_addr ip4;
  in6_addr ip6;
  if (inet_pton(AF_INET, host.c_str(), &ip4) == 1 || inet_pton(AF_INET6, host.c_str(), &ip6) == 1) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str());
    return;
  }
  SSL_set_tlsext_host_name(ssl, host.c_str());
  SSL_set1_host(ssl, host.c_str());
}

std::string VerifyFailure(const SSL* ssl) {
  long result = SSL_get_verify_result(ssl);
  return result == X509_V_OK ? std::string() : X509_verify_cert_error_string(result);
}

}  // namespace cable::tls
