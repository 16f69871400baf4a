// `cable serve` in front of a real gRPC backend (`cable rpc --channels anyt`
// in its own process): the RPC contract end to end (spec §4, §5), and what
// happens when the backend goes away and comes back (§1.4: Connect errors
// close with 1011 "Auth Error"; calls are bounded by the command timeout).

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>

#include "server/server_test_helpers.h"

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
    options.args = {"--rpc_host", "127.0.0.1:" + std::to_string(rpc_port_), "--rpc_command_timeout",
                    std::to_string(kCommandTimeoutMs)};
    server_ = std::make_unique<CableServer>(options);
    StartRpc();
  }

  // Starts `cable rpc` on rpc_port_; its channels broadcast to the server.
  void StartRpc() {
    SpawnOptions spawn;
    spawn.unset_env = {"ANYCABLE_SECRET",
                       "ANYCABLE_BROADCAST_KEY",
                       "ANYCABLE_RPC_HOST",
                       "ANYCABLE_BROADCAST_ADAPTER",
                       "ANYCABLE_HTTP_BROADCAST_URL",
                       "REDIS_URL",
                       "ANYCABLE_REDIS_URL"};
    rpc_ = ChildProcess(
        {CableBinary(), "rpc", "--channels", "anyt", "--host",
         "127.0.0.1:" + std::to_string(rpc_port_), "--broadcast-adapter", "http", "--broadcast-url",
         "http://127.0.0.1:" + std::to_string(server_->broadcast_port()) + "/_broadcast"},
        spawn);
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
  auto client = server_->Connect("/cable", {{"X-Request-ID", "grpc-sid-1"}});
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_TRUE(ReceivesMessage(*client, {{"type", "welcome"}, {"sid", "grpc-sid-1"}}))
      << "the backend sees the sid in the call metadata";
  const auto id = AnytIdentifier("SubscriptionPerformMethodsChannel");
  ASSERT_TRUE(Subscribes(*client, id));
  ASSERT_TRUE(
      client->SendText(PerformCommand(id, {{"action", "echo"}, {"text", "over grpc"}})).ok());
  EXPECT_TRUE(ReceivesMessage(*client, DataMessage(id, {{"response", "over grpc"}})));
  const auto rejected = AnytIdentifier("SubscriptionAknowledgementRejectorChannel");
  ASSERT_TRUE(client->SendText(SubscribeCommand(rejected)).ok());
  EXPECT_TRUE(
      ReceivesMessage(*client, {{"type", "reject_subscription"}, {"identifier", rejected}}));
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

}  // namespace
}  // namespace cable::testing
