// `cable serve` in front of a real gRPC backend (`cable rpc --channels anyt`
// in its own process): the RPC contract end to end (spec §4, §5), and what
// happens when the backend goes away and comes back (§1.4: Connect errors
// close with 1011 "Auth Error"; calls are bounded by the command timeout).

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "server/server_test_helpers.h"
#include "support/tls_certs.h"

namespace cable::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kCommandTimeoutMs = 1500;

class GrpcBackendTest : public ::testing::Test {
 protected:
  GrpcBackendTest() : rpc_port_(FreePort()) {}

  void SetUp() override {
    ServeOptions options;
    options.backend = "";
    options.args = {"--rpc_host",
                    "127.0.0.1:" + std::to_string(rpc_port_),
                    "--rpc_command_timeout",
                    std::to_string(kCommandTimeoutMs),
                    "--metrics_http",
                    "/metrics"};
    server_ = std::make_unique<CableServer>(options);
    StartRpc();
  }

  // Starts `cable rpc` on rpc_port_; its channels broadcast to the server.
  void StartRpc() {
    rpc_ = SpawnCableRpc(
        rpc_port_, "anyt",
        {"--broadcast-adapter", "http", "--broadcast-url",
         "http://127.0.0.1:" + std::to_string(server_->broadcast_port()) + "/_broadcast"});
    ASSERT_TRUE(WaitForPort(rpc_port_)) << "cable rpc did not start: " << rpc_.Stderr();
  }

  void KillRpc() {
    rpc_.Signal(SIGKILL);
    ASSERT_TRUE(rpc_.Wait(5s).has_value());
  }

  // Connects until a welcome arrives (the gRPC channel may need a moment
  // to notice the backend is back); the connected client or an Error.
  Result<ws::Client> ConnectWhenBackendIsBack(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    Error last{"timeout", "no attempt"};
    while (Clock::now() < deadline) {
      auto client = ConnectWelcomed(*server_);
      if (client.ok()) return client;
      last = client.error();
    }
    return last;
  }

  int rpc_port_;
  std::unique_ptr<CableServer> server_;
  ChildProcess rpc_;
};

TEST_F(GrpcBackendTest, ConnectSubscribeAndPerformGoThroughRpc) {
  ASSERT_NO_FATAL_FAILURE(
      ExpectSubscribePerformAndReject(*server_, "grpc-sid-1", "over grpc", "in the call metadata"));
}

TEST_F(GrpcBackendTest, RequestDataAndRejectionGoThroughRpc) {
  auto rejected = server_->Connect("/cable?test=reasons&reason=unauthorized");
  ASSERT_TRUE(rejected.ok()) << rejected.error().message;
  EXPECT_TRUE(ReceivesMessage(
      *rejected, {{"type", "disconnect"}, {"reason", "unauthorized"}, {"reconnect", false}},
      kReceiveTimeout, Skip::kNothing));
  EXPECT_TRUE(ReceivesClose(*rejected, 1000));

  auto accepted = server_->Connect("/cable?test=cookies", {{"cookie", "username=john green"}});
  ASSERT_TRUE(accepted.ok()) << accepted.error().message;
  EXPECT_TRUE(ReceivesMessage(*accepted, {{"type", "welcome"}}));

  ASSERT_CONNECTED(client, ConnectWelcomed(*server_, "/cable?token=secret"));
  ASSERT_TRUE(Subscribes(client, AnytIdentifier("RequestChannel")))
      << "Command env carries the connection URL";
}

TEST_F(GrpcBackendTest, ChannelStateRoundTripsAndReachesDisconnect) {
  ASSERT_CONNECTED(client1, ConnectWelcomed(*server_));
  ASSERT_CONNECTED(client2, ConnectWelcomed(*server_));
  const auto id1 = AnytIdentifier("ChannelStateChannel", {{"name", "chipolino"}});
  const auto id2 = AnytIdentifier("ChannelStateChannel", {{"name", "chipollone"}});
  ASSERT_TRUE(Subscribes(client1, id1));
  ASSERT_TRUE(Subscribes(client2, id2));
  ASSERT_TRUE(client1.SendText(PerformCommand(id1, {{"action", "tick"}})).ok());
  EXPECT_TRUE(ReceivesMessage(client1, DataMessage(id1, {{"count", 3}, {"name", "chipolino"}})))
      << "istate returned by subscribe is sent back with the next command";
  ASSERT_TRUE(client2.SendClose(1000).ok());
  EXPECT_TRUE(ReceivesClose(client2, 1000));
  // The backend's unsubscribe callback reads the state from the Disconnect
  // call and broadcasts back to this server over HTTP.
  EXPECT_TRUE(ReceivesMessage(client1, DataMessage(id1, {{"data", "user left: chipollone"}})));
}

// grpc_active_conn_num: the gRPC client's connections to the backend in
// state READY; one while the backend is up, none once it is gone.
TEST_F(GrpcBackendTest, ActiveConnectionsAreExported) {
  ASSERT_CONNECTED(client, ConnectWelcomed(*server_));
  EXPECT_EQ(MetricValue(ScrapeMetrics(server_->port()), "grpc_active_conn_num"), 1);
  KillRpc();
  // The channel notices the closed connection by itself; nothing to await.
  double conns = -2;
  const auto deadline = Clock::now() + 10s;
  while (Clock::now() < deadline &&
         (conns = MetricValue(ScrapeMetrics(server_->port()), "grpc_active_conn_num")) != 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(conns, 0);
}

// Only a gRPC client has connections to count: with another backend the
// gauge is not exported, as in anycable-go.
TEST(GrpcActiveConnsTest, NotExportedWithoutAGrpcClient) {
  ServeOptions options;
  options.args = {"--metrics_http", "/metrics"};
  CableServer server(options);
  const std::string text = ScrapeMetrics(server.port());
  ASSERT_NE(MetricValue(text, "clients_num"), -1) << text;
  EXPECT_EQ(MetricValue(text, "grpc_active_conn_num"), -1);
}

TEST_F(GrpcBackendTest, BackendOutageFailsFastAndServiceResumesWhenItReturns) {
  ASSERT_CONNECTED(existing, ConnectWelcomed(*server_));
  const auto id = AnytIdentifier("SubscriptionPerformMethodsChannel");
  ASSERT_TRUE(Subscribes(existing, id));

  KillRpc();

  // A new connection is refused with 1011 within the command timeout.
  const auto start = Clock::now();
  auto refused = server_->Connect();
  ASSERT_TRUE(refused.ok()) << "the upgrade itself does not need the backend: "
                            << refused.error().message;
  EXPECT_TRUE(ReceivesClose(*refused, 1011, std::chrono::milliseconds(kCommandTimeoutMs + 2500)))
      << "Connect failing with an RPC error closes with 1011 Auth Error, no welcome";
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(kCommandTimeoutMs + 2500));

  // The existing session's perform fails (nothing is sent) without hanging
  // the session or the server.
  ASSERT_TRUE(existing.SendText(PerformCommand(id, {{"action", "tick"}})).ok());
  EXPECT_TRUE(Pongs(existing)) << "the failed perform does not block later commands";
  EXPECT_EQ(HttpGet(server_->port(), "/health"), 200);

  StartRpc();
  auto back = ConnectWhenBackendIsBack(20s);
  ASSERT_TRUE(back.ok()) << "new connections work again once the backend is back: "
                         << back.error().code << ": " << back.error().message;
  ASSERT_TRUE(Subscribes(*back, id));
  ASSERT_TRUE(back->SendText(PerformCommand(id, {{"action", "tick"}})).ok());
  EXPECT_TRUE(ReceivesMessage(*back, DataMessage(id, "tock")));
  ASSERT_TRUE(existing.SendText(PerformCommand(id, {{"action", "tick"}})).ok());
  EXPECT_TRUE(ReceivesMessage(existing, DataMessage(id, "tock")))
      << "the old session works again too";
}

// gRPC over TLS (--rpc_enable_tls, --rpc_tls_root_ca, --rpc_tls_verify)
// to `cable rpc --tls-cert --tls-key` with a self-signed certificate.
class GrpcTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SpawnOptions spawn;
    spawn.unset_env = {"ANYCABLE_RPC_HOST", "ANYCABLE_SECRET"};
    rpc_ = ChildProcess({CableBinary(), "rpc", "--channels", "anyt", "--host", Rpc(), "--tls-cert",
                         Certs().cert, "--tls-key", Certs().key},
                        spawn);
    ASSERT_TRUE(WaitForPort(rpc_port_)) << "cable rpc did not start: " << rpc_.Stderr();
  }
  std::string Rpc() const { return "127.0.0.1:" + std::to_string(rpc_port_); }
  std::unique_ptr<CableServer> Serve(std::vector<std::string> tls_args) {
    ServeOptions options;
    options.backend = "";
    options.args = {"--rpc_host", Rpc(), "--rpc_command_timeout", "1500"};
    options.args.insert(options.args.end(), tls_args.begin(), tls_args.end());
    return std::make_unique<CableServer>(options);
  }

 public:
  // A whole round trip: Connect, subscribe, perform.
  static ::testing::AssertionResult Works(const CableServer& server) {
    auto client = ConnectWelcomed(server);
    if (!client.ok()) return ::testing::AssertionFailure() << client.error().message;
    const auto id = AnytIdentifier("SubscriptionPerformMethodsChannel");
    if (auto r = Subscribes(*client, id); !r) return r;
    if (!client->SendText(PerformCommand(id, {{"action", "echo"}, {"text", "tls"}})).ok()) {
      return ::testing::AssertionFailure() << "send failed";
    }
    return ReceivesMessage(*client, DataMessage(id, {{"response", "tls"}}));
  }

 protected:
  int rpc_port_ = FreePort();
  ChildProcess rpc_;
};

TEST_F(GrpcTlsTest, CallsTheBackendOverTlsCheckingItsCertificate) {
  EXPECT_TRUE(Works(*Serve({"--rpc_enable_tls", "--rpc_tls_root_ca", Certs().cert})));
}

TEST_F(GrpcTlsTest, ARootCaAloneTurnsTlsOnAndPemTextWorksToo) {
  std::ifstream in(Certs().cert);
  std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(Works(*Serve({"--rpc_tls_root_ca", pem})));
}

TEST_F(GrpcTlsTest, AnUntrustedBackendIsRefused) {
  // The system's CAs do not know the self-signed certificate: Connect
  // fails and the client is closed as for any unreachable backend.
  auto server = Serve({"--rpc_enable_tls"});
  auto client = server->Connect();
  ASSERT_TRUE(client.ok());
  EXPECT_TRUE(ReceivesClose(*client, 1011));
}

TEST_F(GrpcTlsTest, VerificationCanBeTurnedOffForDevelopment) {
  EXPECT_TRUE(Works(*Serve({"--rpc_enable_tls", "--rpc_tls_verify=false"})));
}

TEST_F(GrpcTlsTest, PlaintextToATlsBackendFails) {
  auto server = Serve({});
  auto client = server->Connect();
  ASSERT_TRUE(client.ok());
  EXPECT_TRUE(ReceivesClose(*client, 1011));
}

TEST_F(GrpcTlsTest, RepliesOverTheReceiveLimitFail) {
  // A Connect reply (identifiers, the welcome transmission) is well over
  // 16 bytes: the call fails as an error would.
  auto server = Serve({"--rpc_tls_root_ca", Certs().cert, "--rpc_max_call_recv_size", "16"});
  auto client = server->Connect();
  ASSERT_TRUE(client.ok());
  EXPECT_TRUE(ReceivesClose(*client, 1011));
  EXPECT_TRUE(
      Works(*Serve({"--rpc_tls_root_ca", Certs().cert, "--rpc_max_call_recv_size", "1048576"})));
}

// --rpc_host forms other than host:port reach the same backend.
class GrpcTargetFormsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GrpcTargetFormsTest, ReachTheBackend) {
  const int port = FreePort();
  SpawnOptions spawn;
  spawn.unset_env = {"ANYCABLE_RPC_HOST", "ANYCABLE_SECRET"};
  ChildProcess rpc(
      {CableBinary(), "rpc", "--channels", "anyt", "--host", "127.0.0.1:" + std::to_string(port)},
      spawn);
  ASSERT_TRUE(WaitForPort(port)) << rpc.Stderr();
  ServeOptions options;
  options.backend = "";
  std::string target = GetParam();
  for (auto at = target.find("PORT"); at != std::string::npos; at = target.find("PORT")) {
    target.replace(at, 4, std::to_string(port));
  }
  options.args = {"--rpc_host", target};
  CableServer server(options);
  EXPECT_TRUE(GrpcTlsTest::Works(server)) << target;
}

INSTANTIATE_TEST_SUITE_P(Forms, GrpcTargetFormsTest,
                         ::testing::Values("dns:///localhost:PORT", "grpc-list://localhost:PORT",
                                           "grpc-list://127.0.0.1:PORT,localhost:PORT"));

TEST(GrpcTlsSettings, ABadRootCaStopsTheStart) {
  ChildProcess serve({CableBinary(), "serve", "--port", std::to_string(FreePort()),
                      "--rpc_enable_tls", "--rpc_tls_root_ca", "/nonexistent/ca.pem"});
  auto code = serve.Wait(std::chrono::seconds(10));
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  EXPECT_NE(serve.Stderr().find("/nonexistent/ca.pem"), std::string::npos) << serve.Stderr();
}

TEST(GrpcTlsSettings, CableRpcRefusesAHalfTlsSetup) {
  ChildProcess rpc({CableBinary(), "rpc", "--channels", "anyt", "--host", "127.0.0.1:0",
                    "--tls-cert", Certs().cert});
  auto code = rpc.Wait(std::chrono::seconds(10));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 2) << rpc.Stderr();
}

}  // namespace
}  // namespace cable::testing
