// The nats.* settings of `cable serve` against real nats-server processes:
// --nats_dont_randomize_servers makes the first listed server the one
// connected to.

#include <gtest/gtest.h>

#include "server/cluster_helpers.h"
#include "support/nats_server.h"
#include "support/temp_dir.h"

namespace cable::testing {
namespace {

std::unique_ptr<CableServer> StartNatsNode(std::vector<std::string> args) {
  ServeOptions options;
  options.backend = AnytWithTestChannels();
  options.args = std::move(args);
  return std::make_unique<CableServer>(options);
}

class NatsSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!NatsServer::Available()) GTEST_SKIP() << "nats-server not installed";
  }
};

// libnats shuffles the list unless told not to; with the flag, whichever
// server is listed first is the one connected, in either order (a shuffle
// would pick the listed order for both only one time in four).
TEST_F(NatsSettingsTest, DontRandomizeServersConnectsToTheFirstListed) {
  NatsServer a, b;
  for (const auto* first : {&a, &b}) {
    const auto* second = first == &a ? &b : &a;
    auto node =
        StartNatsNode({"--pubsub", "nats", "--nats_servers", first->url() + "," + second->url(),
                       "--nats_dont_randomize_servers"});
    EXPECT_TRUE(node->process().WaitForOutput("NATS pub/sub: connected to " + first->url()))
        << node->process().Stderr();
    EXPECT_EQ(node->process().Stderr().find("connected to " + second->url()), std::string::npos);
  }
}

// The same from the file, under anycable-go's key.
TEST_F(NatsSettingsTest, DontRandomizeServersFromTheConfigFile) {
  NatsServer a, b;
  TempDir dir;
  const std::string path = dir.Write("anycable.toml",
                                     "[nats]\n"
                                     "dont_randomize_servers = true\n"
                                     "servers = [\"" +
                                         b.url() + "\", \"" + a.url() + "\"]\n");
  auto node = StartNatsNode({"--pubsub", "nats", "--config-path", path});
  EXPECT_TRUE(node->process().WaitForOutput("NATS pub/sub: connected to " + b.url()))
      << node->process().Stderr();
}

}  // namespace
}  // namespace cable::testing
