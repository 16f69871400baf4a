// `cable bench` against a TLS `cable serve` (wss://, and https:// for the
// HTTP broadcasts): a small run counts every delivery; an untrusted
// certificate fails the connects with the verification reason.

#include <gtest/gtest.h>

#include "bench_support.h"
#include "support/cable_server.h"
#include "support/tls_certs.h"

namespace cable::testing {
namespace {

ServeOptions TlsBenchmark() {
  ServeOptions o;
  o.backend = "benchmark";
  o.args = TlsArgs();
  return o;
}

std::string WssUrl(int port) {
  return "wss://127.0.0.1:" + std::to_string(port) + "/cable";
}

std::string HttpsBroadcastUrl(int port) {
  return "https://127.0.0.1:" + std::to_string(port) + "/_broadcast";
}

TEST(BenchTls, BurstOverWssDeliversEveryMessageOnce) {
  CableServer server(TlsBenchmark());
  auto r = RunBench({"broadcast", WssUrl(server.port()), "--tls-ca", Certs().cert, "--clients",
                     "20", "--burst", "10", "--broadcast-url",
                     HttpsBroadcastUrl(server.broadcast_port()), "--settle", "0.2"});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  const auto& j = r.report;
  EXPECT_EQ(j["connections"]["ready"], 20);
  EXPECT_EQ(j["connections"]["failed"], 0);
  EXPECT_EQ(j["messages"]["published"], 10);
  EXPECT_EQ(j["messages"]["expected"], 200);
  EXPECT_EQ(j["messages"]["unique"], 200);
  EXPECT_EQ(j["messages"]["received"], 200);
  EXPECT_EQ(j["messages"]["missing"], 0);
  EXPECT_EQ(j["messages"]["duplicates"], 0);
  EXPECT_TRUE(j["ok"].get<bool>());
}

TEST(BenchTls, EchoOverWssWithInsecure) {
  CableServer server(TlsBenchmark());
  auto r = RunBench({"echo", WssUrl(server.port()), "--insecure", "--clients", "10", "--rate",
                     "200", "--count", "100", "--settle", "0.1"});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  EXPECT_EQ(r.report["connections"]["ready"], 10);
  EXPECT_EQ(r.report["messages"]["unique"], 100) << Dump(r);
  EXPECT_EQ(r.report["messages"]["missing"], 0);
}

TEST(BenchTls, AnUntrustedCertificateFailsEveryConnect) {
  CableServer server(TlsBenchmark());
  auto r = RunBench({"connect", WssUrl(server.port()), "--clients", "5"});
  EXPECT_EQ(r.exit_code, 1) << Dump(r);
  EXPECT_EQ(r.report["connections"]["ready"], 0) << Dump(r);
  EXPECT_EQ(r.report["connections"]["failures"]["tls_verify: self-signed certificate"], 5)
      << Dump(r);
}

}  // namespace
}  // namespace cable::testing
