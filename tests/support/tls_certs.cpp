#include "support/tls_certs.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

#include "support/process.h"

namespace cable::testing {
namespace {

Certificates MakeCertificates() {
  char tmpl[] = "/tmp/cable-tls-XXXXXX";
  const char* dir = ::mkdtemp(tmpl);
  if (!dir) throw std::runtime_error("mkdtemp failed");
  Certificates c{dir, std::string(dir) + "/cert.pem", std::string(dir) + "/key.pem",
                 std::string(dir) + "/other_key.pem"};
  auto cert = Run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                   "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1",
                   "-keyout", c.key, "-out", c.cert});
  if (cert.exit_code != 0) throw std::runtime_error("openssl req failed: " + cert.err);
  auto other = Run({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-out", c.other_key});
  if (other.exit_code != 0) throw std::runtime_error("openssl genpkey failed: " + other.err);
  return c;
}

Certificates* g_certs = nullptr;

// Removes the certificates once every test of the binary has run.
class CertificatesCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    if (g_certs) std::filesystem::remove_all(g_certs->dir);
  }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new CertificatesCleanup);

}  // namespace

const Certificates& Certs() {
  if (!g_certs) g_certs = new Certificates(MakeCertificates());
  return *g_certs;
}

std::vector<std::string> TlsArgs() {
  return {"--ssl_cert", Certs().cert, "--ssl_key", Certs().key};
}

}  // namespace cable::testing
