// What operators rely on beyond the protocol, each against the real binary:
// which request data reaches the application (the --proxy-cookies filter,
// REMOTE_ADDR, the connection state round trip through a real gRPC
// backend), how RPC calls survive an application restart (retries) and a
// hung one (the per-attempt timeout), the write timeout for a client that
// stops reading, graceful shutdown (--shutdown_delay, a second signal) and
// JSON logs.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <sstream>

#include "server/raw_http.h"
#include "server/server_test_helpers.h"

namespace cable::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Polls GET /metrics until `name` reaches `at_least`; the last value seen.
double AwaitMetric(int port, const std::string& name, double at_least,
                   std::chrono::milliseconds timeout = 10s) {
  const auto deadline = Clock::now() + timeout;
  double value = MetricValue(ScrapeMetrics(port), name);
  while (value < at_least && Clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    value = MetricValue(ScrapeMetrics(port), name);
  }
  return value;
}

// ------------------------------------------- what reaches the application

class RequestEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const int rpc_port = FreePort();
    rpc_ = SpawnCableRpc(rpc_port, SourcePath("tests/server/fixtures/request_env.yml"));
    ASSERT_TRUE(WaitForPort(rpc_port)) << "cable rpc did not start: " << rpc_.Stderr();
    ServeOptions options;
    options.backend = "";
    options.args = {"--rpc_host", "127.0.0.1:" + std::to_string(rpc_port), "--proxy-cookies",
                    "session,uid"};
    server_ = std::make_unique<CableServer>(options);
  }

  // Subscribes to the echoing channel and returns what it transmitted.
  Json Echo(ws::Client& client) {
    const std::string id = Identifier("Test::EnvChannel");
    EXPECT_TRUE(client.SendText(SubscribeCommand(id)).ok());
    auto echo = NextMessage(client);
    EXPECT_TRUE(echo.ok()) << echo.error().message;
    if (!echo.ok()) return {};
    EXPECT_EQ((*echo)["identifier"], id) << echo->dump();
    return (*echo)["message"];
  }

  ChildProcess rpc_;
  std::unique_ptr<CableServer> server_;
};

TEST_F(RequestEnvTest, OnlyTheNamedCookiesAndTheClientAddressReachTheApplication) {
  ASSERT_CONNECTED(client, ConnectWelcomed(*server_, "/cable?uid=7",
                                           {{"Cookie", "session=abc; tracking=xyz; uid=7"}}));
  const Json echo = Echo(client);
  EXPECT_EQ(echo["cookie"], "session=abc;uid=7;") << "tracking is not in --proxy-cookies";
  EXPECT_EQ(echo["remote_addr"], "127.0.0.1") << "REMOTE_ADDR is the client's IP, no port";
}

TEST_F(RequestEnvTest, ConnectionStateSetByConnectComesBackWithLaterCommands) {
  ASSERT_CONNECTED(client, ConnectWelcomed(*server_, "/cable?uid=8&t=1700000000"));
  EXPECT_EQ(Echo(client)["joined_at"], "1700000000")
      << "the cstate Connect returned travels with the subscribe command";
}

// ------------------------------------------------------ RPC resilience

TEST(RpcResilienceTest, ACallRetriedWhileTheApplicationIsDownSucceedsOnceItIsBack) {
  const int rpc_port = FreePort();
  ServeOptions options;
  options.backend = "";
  options.args = {"--rpc_host",
                  "127.0.0.1:" + std::to_string(rpc_port),
                  "--rpc_command_timeout",
                  "10000",
                  "--metrics_http",
                  "/metrics"};
  CableServer server(options);

  auto client = server.Connect();
  ASSERT_TRUE(client.ok()) << client.error().message;
  // The Connect call is being retried (Unavailable, 100 ms x 2^n) ...
  ASSERT_GE(AwaitMetric(server.port(), "rpc_retries_total", 1), 1);
  // ... so an application that comes up now still answers it.
  ChildProcess rpc = SpawnCableRpc(rpc_port, "anyt");
  auto welcome = NextMessage(*client, 10s);
  ASSERT_TRUE(welcome.ok()) << welcome.error().message << "\n" << server.process().Stderr();
  EXPECT_EQ((*welcome)["type"], "welcome") << welcome->dump();
}

TEST(RpcResilienceTest, TheRequestTimeoutBoundsEachAttempt) {
  // A listener that never answers: the TCP connect succeeds (the kernel
  // queues it), the gRPC handshake never completes, the call hangs.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int hung_port = ntohs(addr.sin_port);

  ServeOptions options;
  options.backend = "";
  options.args = {"--rpc_host",
                  "127.0.0.1:" + std::to_string(hung_port),
                  "--rpc_command_timeout",
                  "8000",
                  "--rpc_request_timeout",
                  "300",
                  "--metrics_http",
                  "/metrics"};
  CableServer server(options);
  const auto start = Clock::now();
  auto client = server.Connect();
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_TRUE(ReceivesClose(*client, 1011, 6s)) << "a timed-out Connect is an Auth Error";
  const auto took = Clock::now() - start;
  EXPECT_LT(took, 4s) << "the attempt ended at --rpc_request_timeout (300 ms), not at the "
                         "command timeout (8 s): "
                      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                      << " ms";
  EXPECT_GE(AwaitMetric(server.port(), "rpc_timeout_total", 1), 1) << server.process().Stderr();
  ::close(fd);
}

// ---------------------------------------------------------- write timeout

// Reads from `fd` until `needle` has arrived; false on timeout or close.
bool ReadUntil(int fd, const std::string& needle, std::chrono::milliseconds timeout) {
  std::string seen;
  const auto deadline = Clock::now() + timeout;
  char buf[4096];
  while (seen.find(needle) == std::string::npos) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= 0ms) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    seen.append(buf, static_cast<size_t>(n));
  }
  return true;
}

TEST(WriteTimeoutTest, AWriteThatStallsForTwoSecondsClosesThatClientOnly) {
  ServeOptions options;
  options.backend = AnytWithTestChannels();
  // No slow-client drop by queue size: only the write timeout (default
  // 2 s) can end the stalled session.
  options.args = {"--ws_max_pending_size", "1073741824", "--metrics_http", "/metrics"};
  CableServer server(options);
  const std::string stream = "write-timeout";
  const std::string id = StreamIdentifier(stream);

  RawConnection stalled(server.port());
  ASSERT_TRUE(stalled.Send(UpgradeRequest("/cable")));
  ASSERT_EQ(stalled.ReadResponse().status, 101);
  const int small = 4096;
  ::setsockopt(stalled.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  ASSERT_TRUE(stalled.Send(MaskedFrame(0x1, SubscribeCommand(id))));
  ASSERT_TRUE(ReadUntil(stalled.fd(), "confirm_subscription", kReceiveTimeout));

  ASSERT_CONNECTED(reader, ConnectWelcomed(server));
  ASSERT_TRUE(Subscribes(reader, id));

  // Far more than both socket buffers hold; the stalled client reads none.
  constexpr int kBroadcasts = 160;
  constexpr size_t kSize = 100 * 1024;
  const std::string body = PublicationOfSize(stream, kSize);
  auto received = std::async(std::launch::async, [&] {
    int n = 0;
    while (n < kBroadcasts && NextMessage(reader).ok()) ++n;
    return n;
  });
  for (int i = 0; i < kBroadcasts; ++i) ASSERT_EQ(server.Broadcast(body), 201) << i;
  EXPECT_EQ(received.get(), kBroadcasts) << "the reading client gets everything";

  EXPECT_GE(AwaitMetric(server.port(), "timeout_server_msg_total", 1), 1)
      << "the stalled write timed out";
  EXPECT_TRUE(stalled.WaitForClose(10s)) << "and its connection was closed";
  EXPECT_TRUE(Pongs(reader));
}

// -------------------------------------------------------------- shutdown

TEST(ShutdownTest, ShutdownDelayKeepsServingBeforeClientsAreAskedToReconnect) {
  ServeOptions options;
  options.args = {"--shutdown_delay", "1"};
  CableServer server(options);
  ASSERT_CONNECTED(client, ConnectWelcomed(server));

  const auto signalled = Clock::now();
  server.process().Signal(SIGTERM);
  ASSERT_TRUE(server.process().WaitForOutput("--shutdown_delay"));
  ASSERT_CONNECTED(late, ConnectWelcomed(server));  // still accepted during the delay
  EXPECT_TRUE(ReceivesMessage(client, DisconnectMessage("server_restart", true), 5s));
  EXPECT_GE(Clock::now() - signalled, 900ms) << "nobody is told to reconnect before the delay";
  EXPECT_EQ(server.process().Wait(10s), 0);
}

TEST(ShutdownTest, ASecondSignalExitsAtOnce) {
  ServeOptions options;
  options.args = {"--shutdown_delay", "60"};
  CableServer server(options);
  server.process().Signal(SIGTERM);
  ASSERT_TRUE(server.process().WaitForOutput("Received SIGTERM"));
  const auto start = Clock::now();
  server.process().Signal(SIGINT);
  EXPECT_EQ(server.process().Wait(5s), 1) << server.process().Stderr();
  EXPECT_LT(Clock::now() - start, 3s);
  EXPECT_NE(server.process().Stderr().find("Second signal"), std::string::npos);
}

// ------------------------------------------------------------- JSON logs

TEST(JsonLogTest, EveryLineIsOneJsonObjectWhateverClientsSend) {
  ServeOptions options;
  options.args = {"--log_format", "json", "--log_level", "debug"};
  CableServer server(options);
  ASSERT_CONNECTED(client, ConnectWelcomed(server));
  // Text that would forge a line in a naive log: a newline and a fake record.
  const std::string forged = "x\n{\"level\":\"error\",\"msg\":\"forged\"}\n";
  ASSERT_TRUE(client.SendText(forged).ok());
  ASSERT_TRUE(client.SendText(Json{{"command", forged}, {"identifier", forged}}.dump()).ok());
  EXPECT_TRUE(Pongs(client));
  ASSERT_EQ(server.process().Stop(), 0);

  std::istringstream lines(server.process().Stderr());
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    const Json record = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(record.is_object()) << "not one JSON object: " << line;
    EXPECT_TRUE(record.contains("time") && record.contains("level") && record.contains("msg"))
        << line;
    EXPECT_NE(record.value("msg", ""), "forged") << line;
  }
  EXPECT_GT(count, 3) << "start, the bad input, shutdown";
}

}  // namespace
}  // namespace cable::testing
