// wss:// targets: the runner connects, probes and broadcasts (https://, also
// from the `cable rpc` backend it starts) over TLS, verifying the server's
// certificate against --tls-ca, or not at all with --insecure; an untrusted
// certificate fails the connect step with a clear reason.

#include <gtest/gtest.h>

#include "conformance_helpers.h"
#include "support/tls_certs.h"

namespace cable::testing {
namespace {

constexpr const char* kWssTarget = "wss://127.0.0.1:{port}/cable";

std::string TlsServeCommand() {
  return ServeCommand("--ssl_cert " + Certs().cert + " --ssl_key " + Certs().key);
}

TEST(ConformanceTls, ScenariosPassAgainstATlsServerTrustedThroughTlsCa) {
  // streams_single broadcasts from the runner; features_channel_state has
  // the backend broadcast when a connection goes away.
  RunResult r =
      Conformance({Scenarios("/anyt/streams_single.yml"),
                   Scenarios("/anyt/features_channel_state.yml"), "--command", TlsServeCommand(),
                   "--target-url", kWssTarget, "--tls-ca", Certs().cert, "--secret", kSecret});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  Summary s = ParseSummary(LastLine(r.out));
  EXPECT_GT(s.passed, 3) << r.out;
  EXPECT_EQ(s.failed, 0) << r.out;
  EXPECT_EQ(s.skipped, 0) << r.out;
}

TEST(ConformanceTls, InsecureSkipsTheCertificateCheck) {
  RunResult r = Conformance({Scenarios("/anyt/streams_single.yml"), "--command", TlsServeCommand(),
                             "--target-url", kWssTarget, "--insecure", "--secret", kSecret});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(ParseSummary(LastLine(r.out)).failed, 0) << r.out;
}

TEST(ConformanceTls, AnUntrustedCertificateFailsTheConnect) {
  RunResult r = Conformance({Scenarios("/anyt/core_welcome.yml"), "--command", TlsServeCommand(),
                             "--target-url", kWssTarget, "--secret", kSecret});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  Summary s = ParseSummary(LastLine(r.out));
  EXPECT_EQ(s.passed, 0) << r.out;
  EXPECT_GT(s.failed, 0) << r.out;
  EXPECT_NE(r.out.find("cannot connect to wss://127.0.0.1:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("certificate verify failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("self-signed certificate"), std::string::npos) << r.out;
}

TEST(ConformanceTls, APlainTargetUrlMustBeWsOrWss) {
  RunResult r = Conformance({Scenarios("/anyt/core_welcome.yml"), "--target-url",
                             "http://127.0.0.1:1/cable", "--no-rpc"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err).find("must start with ws:// or wss://"), std::string::npos)
      << r.out << r.err;
}

}  // namespace
}  // namespace cable::testing
