// The disconnect queue end to end, against an HTTP RPC stand-in: many
// sessions closing at once with a small --disconnect_backlog_size reach the
// application at --disconnect_rate (the calls beyond the backlog wait; none
// is sent early and none is lost below the queue's hard bound).

#include <gtest/gtest.h>

#include <chrono>

#include "server/server_test_helpers.h"
#include "support/cable_server.h"
#include "support/http_sink.h"

namespace cable::testing {
namespace {

const char* kWelcomeReply =
    R"({"status":1,"identifiers":"{\"user\":\"x\"}","transmissions":["{\"type\":\"welcome\"}"]})";

size_t DisconnectCalls(const HttpSink& sink) {
  size_t n = 0;
  for (const auto& r : sink.requests()) n += r.target == "/_anycable/disconnect";
  return n;
}

TEST(DisconnectBacklogTest, ABurstBeyondTheBacklogLeavesAtTheRateAndNoneIsLost) {
  HttpSink sink;
  sink.set_status(200, kWelcomeReply);
  ServeOptions options;
  options.backend = "";
  options.args = {"--rpc_host", sink.url("/_anycable"),      "--disconnect_rate",
                  "20",         "--disconnect_backlog_size", "2"};
  CableServer server(options);
  constexpr size_t kClients = 12;  // 2 in the backlog, 10 in the overflow (bound: 16)
  std::vector<ws::Client> clients;
  for (size_t i = 0; i < kClients; ++i) {
    auto c = server.Connect();
    ASSERT_TRUE(c.ok()) << c.error().message;
    ASSERT_TRUE(ReceivesMessage(*c, {{"type", "welcome"}}));
    clients.push_back(std::move(*c));
  }
  ASSERT_TRUE(sink.WaitForRequests(kClients));  // the Connect calls

  const auto closed = std::chrono::steady_clock::now();
  clients.clear();
  ASSERT_TRUE(sink.WaitForRequests(2 * kClients, std::chrono::seconds(10)))
      << DisconnectCalls(sink) << " Disconnect calls";
  const auto took = std::chrono::steady_clock::now() - closed;
  EXPECT_EQ(DisconnectCalls(sink), kClients);
  // 20 per second: the 12th call leaves 11 intervals of 50 ms after the
  // first. Sent at once (the old overflow behaviour) they take a few ms.
  EXPECT_GE(took, std::chrono::milliseconds(11 * 50 - 20));
}

}  // namespace
}  // namespace cable::testing
