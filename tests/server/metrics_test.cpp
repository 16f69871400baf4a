// --metrics_http: anycable-go's Prometheus metrics (spec §10.4) on the main
// port or a port of their own, with --metrics_tags as labels, and the
// periodic --metrics_log line.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "server/server_test_helpers.h"

namespace cable::testing {
namespace {

using ::testing::HasSubstr;

std::string Scrape(int port) {
  std::string body;
  EXPECT_EQ(HttpGet(port, "/metrics", &body), 200);
  return body;
}

class MetricsTest : public SharedServerTest<MetricsTest> {
 public:
  static ServeOptions Options() {
    ServeOptions options;
    options.backend = AnytWithTestChannels();
    options.args = {"--metrics_http", "/metrics", "--metrics_tags", "env:test,region:eu"};
    return options;
  }
};

TEST_F(MetricsTest, CountersFollowWhatClientsDo) {
  const std::string before = Scrape(server().port());
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = StreamIdentifier("metrics");
  ASSERT_TRUE(Subscribes(client, id));
  ASSERT_EQ(server().Broadcast(Publication("metrics", {{"n", 1}}).dump()), 201);
  ASSERT_TRUE(ReceivesMessage(client, DataMessage(id, {{"n", 1}})));

  const std::string after = Scrape(server().port());
  EXPECT_GE(MetricValue(after, "clients_num"), 1) << after;
  EXPECT_GE(MetricValue(after, "clients_uniq_num"), 1) << after;
  // welcome + confirm + the broadcast, at least.
  EXPECT_GE(MetricValue(after, "server_msg_total") - MetricValue(before, "server_msg_total"), 3)
      << after;
  EXPECT_GE(MetricValue(after, "client_msg_total") - MetricValue(before, "client_msg_total"), 1);
  EXPECT_GE(MetricValue(after, "broadcast_msg_total") - MetricValue(before, "broadcast_msg_total"),
            1);
  EXPECT_GT(MetricValue(after, "data_sent_total"), MetricValue(before, "data_sent_total"));
  // The HTTP broadcast is a publication of non-fan-out ingress.
  EXPECT_GE(MetricValue(after, "publications_total") - MetricValue(before, "publications_total"),
            1);
  EXPECT_EQ(MetricValue(after, "timeout_server_msg_total"), 0) << after;
  EXPECT_GE(MetricValue(after, "broadcast_streams_num"), 1);
  EXPECT_GT(MetricValue(after, "mem_sys_bytes"), 1e6);
}

TEST_F(MetricsTest, ExpositionFormatWithTagsAsLabels) {
  const std::string text = Scrape(server().port());
  EXPECT_THAT(text, HasSubstr("# TYPE anycable_go_server_msg_total counter\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE anycable_go_clients_num gauge\n"));
  EXPECT_THAT(text, HasSubstr("anycable_go_clients_num{env=\"test\",region=\"eu\"} "));
}

TEST(MetricsUniqClients, SessionsWithTheSameIdentifiersCountOnce) {
  ServeOptions options;
  options.backend = "demo";
  options.args = {"--metrics_http", "/metrics"};
  CableServer server(options);
  ASSERT_CONNECTED(alice1, ConnectWelcomed(server, "/cable?user=alice"));
  ASSERT_CONNECTED(alice2, ConnectWelcomed(server, "/cable?user=alice"));
  {
    ASSERT_CONNECTED(bob, ConnectWelcomed(server, "/cable?user=bob"));
    const std::string three = Scrape(server.port());
    EXPECT_EQ(MetricValue(three, "clients_num"), 3) << three;
    EXPECT_EQ(MetricValue(three, "clients_uniq_num"), 2) << three;
  }
  // Bob's session ends on the server after his client closes: await it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string text;
  do {
    text = Scrape(server.port());
  } while (MetricValue(text, "clients_num") != 2 && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(MetricValue(text, "clients_uniq_num"), 1) << text;
}

TEST(MetricsPort, MetricsOnAPortOfTheirOwnAreNotOnTheMainPort) {
  const int metrics_port = FreePort();
  ServeOptions options;
  options.args = {"--metrics_http", "/metrics", "--metrics_port", std::to_string(metrics_port)};
  CableServer server(options);
  ASSERT_TRUE(WaitForPort(metrics_port));
  EXPECT_GE(MetricValue(Scrape(metrics_port), "clients_num"), 0);
  EXPECT_EQ(HttpGet(server.port(), "/metrics"), 404);
}

TEST(MetricsLog, CountersAreLoggedPeriodically) {
  ServeOptions options;
  options.args = {"--metrics_log", "--metrics_rotate_interval", "1"};
  CableServer server(options);
  EXPECT_TRUE(server.process().WaitForOutput("clients_num=0", std::chrono::seconds(5)))
      << server.process().Stderr();
}

TEST(MetricsFlags, MalformedTagsAreAUsageError) {
  auto r = testing::Run(
      {CableBinary(), "serve", "--metrics_http", "/metrics", "--metrics_tags", "novalue"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--metrics_tags"));
}

}  // namespace
}  // namespace cable::testing
