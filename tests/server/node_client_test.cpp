// The real browser client library, @rails/actioncable (run by Node with the
// `ws` package as its WebSocket), against `cable serve`: subprotocol
// negotiation, welcome, subscribe, broadcasts and performs as Rails apps
// see them. Skipped (with the reason printed) when node/npm are missing or
// the packages cannot be installed, e.g. offline.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>

#include "server/server_test_helpers.h"
#include "support/node_packages.h"

namespace cable::testing {
namespace {

using namespace std::chrono_literals;

class NodeClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_reason_ = new std::string(InstallNodePackages());
    if (skip_reason_->empty()) {
      ServeOptions options;
      options.backend = AnytWithTestChannels();
      server_ = new CableServer(options);
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete skip_reason_;
    skip_reason_ = nullptr;
  }
  void SetUp() override {
    if (!skip_reason_->empty()) GTEST_SKIP() << *skip_reason_;
  }

  static ChildProcess StartScript(const Json& params, const std::string& perform = "",
                                  int messages = 1) {
    std::vector<std::string> argv = {"node",
                                     SourcePath("tests/node/subscribe.js"),
                                     "ws://127.0.0.1:" + std::to_string(server_->port()) + "/cable",
                                     params.dump(),
                                     perform,
                                     std::to_string(messages)};
    return ChildProcess(argv);
  }

  static CableServer* server_;
  static std::string* skip_reason_;
};
CableServer* NodeClientTest::server_ = nullptr;
std::string* NodeClientTest::skip_reason_ = nullptr;

TEST_F(NodeClientTest, ActionCableClientReceivesBroadcasts) {
  auto script = StartScript({{"channel", "Test::StreamChannel"}, {"stream", "node-client"}}, "", 2);
  ASSERT_TRUE(script.WaitForOutput("subscribed", 15s))
      << "stdout: " << script.Stdout() << "\nstderr: " << script.Stderr();
  ASSERT_EQ(server_->Broadcast(Publication("node-client", {{"text", "hello from cable"}}).dump()),
            201);
  ASSERT_EQ(server_->Broadcast(Publication("node-client", "plain string").dump()), 201);
  auto code = script.Wait(10s);
  ASSERT_TRUE(code.has_value()) << "script still running; stdout: " << script.Stdout();
  EXPECT_EQ(*code, 0) << "stdout: " << script.Stdout() << "\nstderr: " << script.Stderr();
  const std::string out = script.Stdout();
  const auto first = out.find(R"(received {"text":"hello from cable"})");
  const auto second = out.find(R"(received "plain string")");
  EXPECT_NE(first, std::string::npos) << out;
  EXPECT_NE(second, std::string::npos) << out;
  EXPECT_LT(first, second) << "broadcasts arrive in order: " << out;
}

TEST_F(NodeClientTest, ActionCableClientPerformsActions) {
  auto script = StartScript({{"channel", "Anyt::TestChannels::SubscriptionPerformMethodsChannel"}},
                            R"({"action":"echo","text":"hi from node"})");
  auto code = script.Wait(20s);
  ASSERT_TRUE(code.has_value()) << "script still running; stdout: " << script.Stdout();
  EXPECT_EQ(*code, 0) << "stdout: " << script.Stdout() << "\nstderr: " << script.Stderr();
  EXPECT_NE(script.Stdout().find(R"(received {"response":"hi from node"})"), std::string::npos)
      << script.Stdout();
}

TEST_F(NodeClientTest, ActionCableClientSeesRejection) {
  auto script =
      StartScript({{"channel", "Anyt::TestChannels::SubscriptionAknowledgementRejectorChannel"}});
  auto code = script.Wait(20s);
  ASSERT_TRUE(code.has_value()) << "script still running; stdout: " << script.Stdout();
  EXPECT_EQ(*code, 1) << "stdout: " << script.Stdout() << "\nstderr: " << script.Stderr();
  EXPECT_NE(script.Stdout().find("rejected"), std::string::npos) << script.Stdout();
}

}  // namespace
}  // namespace cable::testing
