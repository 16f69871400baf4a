// --statsd_host: a real `cable serve` sends its metrics to a UDP socket
// held by the test, every --metrics_rotate_interval seconds, as anycable-go
// does (spec §10.4): prefixed names, counters as deltas, gauges as values,
// --metrics_tags in the chosen style, packets within the maximum size.
// Also --metrics_log_filter, which trims the periodic log line.

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <regex>

#include "common/strings.h"
#include "server/server_test_helpers.h"

namespace cable::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

// A StatsD server stand-in: a loopback UDP socket that keeps every packet.
class UdpSink {
 public:
  UdpSink() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~UdpSink() { ::close(fd_); }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::vector<std::string>& packets() const { return packets_; }

  // Receives until a received line satisfies `match` or the deadline passes.
  bool AwaitLine(const std::function<bool(const std::string&)>& match,
                 std::chrono::milliseconds within = std::chrono::seconds(10)) {
    const auto deadline = Clock::now() + within;
    size_t seen = 0;
    while (true) {
      for (; seen < packets_.size(); ++seen) {
        for (const auto& line : SplitList(packets_[seen], '\n')) {
          if (match(line)) return true;
        }
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) packets_.emplace_back(buf, static_cast<size_t>(n));
    }
  }
  bool AwaitLine(const std::string& exact) {
    return AwaitLine([&](const std::string& l) { return l == exact; });
  }

  std::string All() const {
    std::string out;
    for (const auto& p : packets_) out += p + "\n--\n";
    return out;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::vector<std::string> packets_;
};

ServeOptions StatsdOptions(const UdpSink& sink, std::vector<std::string> extra) {
  ServeOptions options;
  options.backend = AnytWithTestChannels();
  options.args = {"--statsd_host", sink.address(), "--metrics_rotate_interval", "1"};
  options.args.insert(options.args.end(), extra.begin(), extra.end());
  return options;
}

TEST(Statsd, CountersAreSentAsDeltasAndGaugesAsValuesWithDatadogTags) {
  UdpSink sink;
  CableServer server(StatsdOptions(
      sink, {"--metrics_tags", "env:test,region:eu", "--statsd_max_packet_size", "200"}));
  const std::string tags = "|#env:test,region:eu";
  ASSERT_TRUE(sink.AwaitLine("anycable_go.clients_num:0|g" + tags)) << sink.All();

  ASSERT_CONNECTED(client, ConnectWelcomed(server));
  const auto id = StreamIdentifier("statsd");
  ASSERT_TRUE(Subscribes(client, id));
  EXPECT_TRUE(sink.AwaitLine("anycable_go.clients_num:1|g" + tags)) << sink.All();
  EXPECT_TRUE(sink.AwaitLine("anycable_go.broadcast_streams_num:1|g" + tags)) << sink.All();

  // Two broadcasts in two flush intervals: each is sent as 1, never as the
  // running total 2.
  ASSERT_EQ(server.Broadcast(Publication("statsd", {{"n", 1}}).dump()), 201);
  ASSERT_TRUE(ReceivesMessage(client, DataMessage(id, {{"n", 1}})));
  const std::string one_broadcast = "anycable_go.broadcast_msg_total:1|c" + tags;
  ASSERT_TRUE(sink.AwaitLine(one_broadcast)) << sink.All();
  const size_t after_first = sink.packets().size();
  ASSERT_EQ(server.Broadcast(Publication("statsd", {{"n", 2}}).dump()), 201);
  ASSERT_TRUE(ReceivesMessage(client, DataMessage(id, {{"n", 2}})));
  ASSERT_TRUE(sink.AwaitLine([&](const std::string& line) {
    return line == one_broadcast && sink.packets().size() > after_first;
  })) << sink.All();
  EXPECT_THAT(sink.All(), Not(HasSubstr("broadcast_msg_total:2|c")));
  EXPECT_THAT(sink.All(), HasSubstr("anycable_go.server_msg_total:"));

  const std::regex line_format(R"(anycable_go\.[a-z_]+:[0-9]+\|[cg]\|#env:test,region:eu)");
  for (const auto& packet : sink.packets()) {
    EXPECT_LE(packet.size(), 200u) << packet;
    for (const auto& line : SplitList(packet, '\n')) {
      EXPECT_TRUE(std::regex_match(line, line_format)) << line;
      // A counter that did not move is not sent.
      EXPECT_THAT(line, Not(HasSubstr(":0|c")));
    }
  }
  // 200 bytes cannot hold every metric: a flush spans packets, and only
  // the first of each starts with the first gauge.
  size_t flushes = 0;
  for (const auto& p : sink.packets()) flushes += p.rfind("anycable_go.clients_num:", 0) == 0;
  EXPECT_GT(sink.packets().size(), flushes);
}

TEST(Statsd, InfluxdbTagsFollowTheNameUnderTheGivenPrefix) {
  UdpSink sink;
  CableServer server(
      StatsdOptions(sink, {"--metrics_tags", "env:test,region:eu", "--statsd_tags_format",
                           "influxdb", "--statsd_prefix", "cable."}));
  EXPECT_TRUE(sink.AwaitLine("cable.clients_num,env=test,region=eu:0|g")) << sink.All();
}

TEST(Statsd, GraphiteTagsFollowTheNameSeparatedBySemicolons) {
  UdpSink sink;
  CableServer server(StatsdOptions(
      sink, {"--metrics_tags", "env:test,region:eu", "--statsd_tags_format", "graphite"}));
  EXPECT_TRUE(sink.AwaitLine("anycable_go.clients_num;env=test;region=eu:0|g")) << sink.All();
}

TEST(Statsd, WithoutTagsLinesCarryNoneAndTheEnvironmentWorksToo) {
  UdpSink sink;
  ServeOptions options = StatsdOptions(sink, {});
  options.args.clear();
  options.env = {{"ANYCABLE_STATSD_HOST", sink.address()},
                 {"ANYCABLE_METRICS_ROTATE_INTERVAL", "1"}};
  CableServer server(options);
  EXPECT_TRUE(sink.AwaitLine("anycable_go.clients_num:0|g")) << sink.All();
  EXPECT_TRUE(server.process().WaitForOutput("Send statsd metrics to " + sink.address()))
      << server.process().Stderr();
  EXPECT_THAT(server.process().Stderr(), Not(HasSubstr("has no effect")));
}

TEST(Statsd, BadSettingsAreUsageErrors) {
  auto host = testing::Run({CableBinary(), "serve", "--statsd_host", "localhost"});
  EXPECT_EQ(host.exit_code, 2);
  EXPECT_THAT(host.err, HasSubstr("--statsd_host"));
  auto format = testing::Run({CableBinary(), "serve", "--statsd_host", "127.0.0.1:8125",
                              "--metrics_tags", "env:test", "--statsd_tags_format", "json"});
  EXPECT_EQ(format.exit_code, 2);
  EXPECT_THAT(format.err, HasSubstr("--statsd_tags_format"));
}

TEST(MetricsLogFilter, TheLogLineShowsOnlyTheNamedMetrics) {
  ServeOptions options;
  options.args = {"--metrics_log", "--metrics_rotate_interval", "1", "--metrics_log_filter",
                  "rpc_call_total,clients_num,no_such_metric"};
  CableServer server(options);
  ASSERT_TRUE(server.process().WaitForOutput("Metrics: clients_num=0 rpc_call_total=0 nodeid=",
                                             std::chrono::seconds(5)))
      << server.process().Stderr();
  EXPECT_THAT(server.process().Stderr(), Not(HasSubstr("server_msg_total=")));
  EXPECT_THAT(server.process().Stderr(), Not(HasSubstr("no_such_metric")));
}

}  // namespace
}  // namespace cable::testing
