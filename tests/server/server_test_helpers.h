#pragma once
// Shared by the `cable serve` integration tests: the backend they run with,
// the messages clients expect and a connect-or-fail macro.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "support/cable_client.h"
#include "support/cable_server.h"
#include "support/process.h"

namespace cable::testing {

// AnyT's channels plus Test::StreamChannel (stream name from the
// `stream` param), run in-process by `cable serve`.
inline std::string AnytWithTestChannels() {
  return "anyt," + SourcePath("tests/server/fixtures/test_channels.yml");
}

inline std::string StreamIdentifier(const std::string& stream) {
  return Identifier("Test::StreamChannel", {{"stream", stream}});
}

// What a client receives, as ReceivesMessage expects it.
inline Json ConfirmMessage(const std::string& identifier) {
  return {{"type", "confirm_subscription"}, {"identifier", identifier}};
}
inline Json RejectMessage(const std::string& identifier) {
  return {{"type", "reject_subscription"}, {"identifier", identifier}};
}
inline Json DataMessage(const std::string& identifier, const Json& message) {
  return {{"identifier", identifier}, {"message", message}};
}
inline Json DisconnectMessage(const std::string& reason, bool reconnect) {
  return {{"type", "disconnect"}, {"reason", reason}, {"reconnect", reconnect}};
}

// `cable rpc` serving `channels` on 127.0.0.1:port (plus `args`), with
// nothing inherited from the environment that would change where it
// broadcasts. Wait for the port before using it.
inline ChildProcess SpawnCableRpc(int port, const std::string& channels,
                                  const std::vector<std::string>& args = {}) {
  SpawnOptions spawn;
  spawn.unset_env = {"ANYCABLE_SECRET",
                     "ANYCABLE_BROADCAST_KEY",
                     "ANYCABLE_RPC_HOST",
                     "ANYCABLE_BROADCAST_ADAPTER",
                     "ANYCABLE_HTTP_BROADCAST_URL",
                     "REDIS_URL",
                     "ANYCABLE_REDIS_URL"};
  std::vector<std::string> argv = {CableBinary(), "rpc",    "--channels",
                                   channels,      "--host", "127.0.0.1:" + std::to_string(port)};
  argv.insert(argv.end(), args.begin(), args.end());
  return ChildProcess(argv, spawn);
}

// The round trip every backend must carry (`cable rpc`'s AnyT channels):
// a client connects with X-Request-ID `sid` and is welcomed with it (the
// backend learns the sid as `how_sid_travels` says), subscribes, performs
// an echo of `text` and gets it back, and a rejecting channel rejects.
inline void ExpectSubscribePerformAndReject(CableServer& server, const std::string& sid,
                                            const std::string& text,
                                            const std::string& how_sid_travels) {
  auto client = server.Connect("/cable", {{"X-Request-ID", sid}});
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_TRUE(ReceivesMessage(*client, {{"type", "welcome"}, {"sid", sid}}))
      << "the backend sees the sid " << how_sid_travels;
  const auto id = AnytIdentifier("SubscriptionPerformMethodsChannel");
  ASSERT_TRUE(Subscribes(*client, id));
  ASSERT_TRUE(client->SendText(PerformCommand(id, {{"action", "echo"}, {"text", text}})).ok());
  EXPECT_TRUE(ReceivesMessage(*client, DataMessage(id, {{"response", text}})));
  const auto rejected = AnytIdentifier("SubscriptionAknowledgementRejectorChannel");
  ASSERT_TRUE(client->SendText(SubscribeCommand(rejected)).ok());
  EXPECT_TRUE(ReceivesMessage(*client, RejectMessage(rejected)));
}

// A suite whose tests share one `cable serve`, started before the first
// test and stopped after the last. `Derived::Options()` says how it runs
// (default: the AnyT channels plus the test channels, in-process).
template <typename Derived>
class SharedServerTest : public ::testing::Test {
 protected:
  static ServeOptions Options() {
    ServeOptions options;
    options.backend = AnytWithTestChannels();
    return options;
  }
  // A server that does not start fails every test of the suite. Thrown
  // from here, gtest would mark them skipped, and CTest count them as such.
  static void SetUpTestSuite() {
    try {
      server_ = std::make_unique<CableServer>(Derived::Options());
    } catch (const std::exception& e) {
      start_error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    server_.reset();
    start_error_.clear();
  }
  void SetUp() override { ASSERT_TRUE(server_) << start_error_; }
  static CableServer& server() { return *server_; }

 private:
  static inline std::unique_ptr<CableServer> server_;
  static inline std::string start_error_;
};

}  // namespace cable::testing

// Declares `var` from a Result<ws::Client> expression and fails the test
// (fatally) when it is an error.
#define ASSERT_CONNECTED(var, expr)                                                    \
  auto var##_result = (expr);                                                          \
  ASSERT_TRUE(var##_result.ok()) << #expr << ": " << var##_result.error().code << ": " \
                                 << var##_result.error().message;                      \
  [[maybe_unused]] ::cable::ws::Client& var = var##_result.value()
