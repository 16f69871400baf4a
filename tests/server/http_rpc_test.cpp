// HTTP RPC (spec §4.5) end to end: `cable serve --rpc_host http://...` in
// front of `cable rpc --http-port`, and in front of a scripted HTTP peer
// (HttpSink) for what a real backend rarely does: error statuses,
// malformed and oversized replies, silence (timeouts), absence (retries,
// the circuit breaker). Also what `cable rpc`'s HTTP listener refuses, and
// HTTPS both ways.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>

#include "common/auth/derived_key.h"
#include "server/raw_http.h"
#include "server/server_test_helpers.h"
#include "support/http_sink.h"
#include "support/tls_certs.h"

namespace cable::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

constexpr const char* kRpcSecret = "http-rpc-s3cr3t";

// A Connect reply that welcomes anyone (for the scripted peer).
const char* kWelcomeReply =
    R"({"status":1,"identifiers":"{\"user\":\"x\"}","transmissions":["{\"type\":\"welcome\"}"]})";

SpawnOptions CleanEnv() {
  SpawnOptions spawn;
  spawn.unset_env = {
      "ANYCABLE_SECRET",   "ANYCABLE_HTTP_RPC_SECRET",   "ANYCABLE_BROADCAST_KEY",
      "ANYCABLE_RPC_HOST", "ANYCABLE_BROADCAST_ADAPTER", "ANYCABLE_HTTP_BROADCAST_URL",
      "REDIS_URL",         "ANYCABLE_REDIS_URL"};
  return spawn;
}

// `cable rpc --channels anyt` serving HTTP RPC only, on a free port.
struct CableRpcHttp {
  explicit CableRpcHttp(std::vector<std::string> extra) : port(FreePort()) {
    std::vector<std::string> argv = {CableBinary(), "rpc",         "--channels",
                                     "anyt",        "--host",      "127.0.0.1:0",
                                     "--no-grpc",   "--http-port", std::to_string(port)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process = ChildProcess(argv, CleanEnv());
    ok = WaitForPort(port);
  }
  std::string Url(const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(port) + "/_anycable";
  }
  int port;
  ChildProcess process;
  bool ok = false;
};

// `cable serve` calling `rpc_host` (no in-process backend).
std::unique_ptr<CableServer> ServeWith(const std::string& rpc_host, std::vector<std::string> args) {
  ServeOptions options;
  options.backend = "";
  options.args = {"--rpc_host", rpc_host};
  options.args.insert(options.args.end(), args.begin(), args.end());
  return std::make_unique<CableServer>(options);
}

// The value of `anycable_go_<name>` in the server's Prometheus text; -1 when absent.
double Metric(const CableServer& server, const std::string& name) {
  std::string text;
  if (HttpGet(server.port(), "/metrics", &text) != 200) return -1;
  std::smatch m;
  const std::regex line("(^|\n)anycable_go_" + name + "(\\{[^}]*\\})? ([0-9.e+-]+)");
  if (!std::regex_search(text, m, line)) return -1;
  return std::stod(m[3]);
}

// Waits (bounded) until the metric reaches `value`; returns the last seen.
double WaitForMetric(const CableServer& server, const std::string& name, double value,
                     std::chrono::milliseconds timeout = 10s) {
  const auto deadline = Clock::now() + timeout;
  double seen = Metric(server, name);
  while (seen < value && Clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);  // polls a counter; nothing to wait on
    seen = Metric(server, name);
  }
  return seen;
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// A whole round trip through the backend: Connect, subscribe, perform.
::testing::AssertionResult Works(const CableServer& server) {
  auto client = ConnectWelcomed(server);
  if (!client.ok()) return ::testing::AssertionFailure() << client.error().message;
  const auto id = AnytIdentifier("SubscriptionPerformMethodsChannel");
  if (auto r = Subscribes(*client, id); !r) return r;
  if (!client->SendText(PerformCommand(id, {{"action", "echo"}, {"text", "http"}})).ok()) {
    return ::testing::AssertionFailure() << "send failed";
  }
  return ReceivesMessage(*client, DataMessage(id, {{"response", "http"}}));
}

// ------------------------------------------------- cable serve -> cable rpc

class HttpRpcBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The backend's broadcasts go to the server's broadcast port, known
    // once the server runs: the server first, the backend right after.
    const int rpc_port = FreePort();
    server_ = ServeWith("http://127.0.0.1:" + std::to_string(rpc_port) + "/_anycable",
                        {"--rpc_impl", "http", "--http_rpc_secret", kRpcSecret});
    rpc_ = ChildProcess(
        {CableBinary(), "rpc", "--channels", "anyt", "--host", "127.0.0.1:0", "--no-grpc",
         "--http-port", std::to_string(rpc_port), "--http-rpc-secret", kRpcSecret,
         "--broadcast-adapter", "http", "--broadcast-url",
         "http://127.0.0.1:" + std::to_string(server_->broadcast_port()) + "/_broadcast"},
        CleanEnv());
    ASSERT_TRUE(WaitForPort(rpc_port)) << rpc_.Stderr();
  }

  std::unique_ptr<CableServer> server_;
  ChildProcess rpc_;
};

TEST_F(HttpRpcBackendTest, ConnectSubscribeAndPerformGoThroughHttpRpc) {
  ASSERT_NO_FATAL_FAILURE(ExpectSubscribePerformAndReject(*server_, "http-sid-1", "over http",
                                                          "in X-Anycable-Meta-Sid"));

  auto refused = server_->Connect("/cable?test=reasons&reason=unauthorized");
  ASSERT_TRUE(refused.ok());
  EXPECT_TRUE(ReceivesMessage(*refused, DisconnectMessage("unauthorized", false), kReceiveTimeout,
                              Skip::kNothing));
  EXPECT_TRUE(ReceivesClose(*refused, 1000)) << "a FAILURE reply closes as over gRPC";
}

TEST_F(HttpRpcBackendTest, ChannelStateRoundTripsAndReachesDisconnect) {
  ASSERT_CONNECTED(client1, ConnectWelcomed(*server_));
  ASSERT_CONNECTED(client2, ConnectWelcomed(*server_));
  const auto id1 = AnytIdentifier("ChannelStateChannel", {{"name", "chipolino"}});
  const auto id2 = AnytIdentifier("ChannelStateChannel", {{"name", "chipollone"}});
  ASSERT_TRUE(Subscribes(client1, id1));
  ASSERT_TRUE(Subscribes(client2, id2));
  ASSERT_TRUE(client1.SendText(PerformCommand(id1, {{"action", "tick"}})).ok());
  EXPECT_TRUE(ReceivesMessage(client1, DataMessage(id1, {{"count", 3}, {"name", "chipolino"}})));
  ASSERT_TRUE(client2.SendClose(1000).ok());
  EXPECT_TRUE(ReceivesClose(client2, 1000));
  // The Disconnect call carries the istate; the backend broadcasts back.
  EXPECT_TRUE(ReceivesMessage(client1, DataMessage(id1, {{"data", "user left: chipollone"}})));
}

TEST(HttpRpcSecret, BothSidesDeriveTheSameKeyFromTheApplicationSecret) {
  CableRpcHttp rpc({"--secret", "app-secret"});
  ASSERT_TRUE(rpc.ok) << rpc.process.Stderr();
  EXPECT_TRUE(Works(*ServeWith(rpc.Url(), {"--secret", "app-secret"})));

  auto wrong = ServeWith(rpc.Url(), {"--http_rpc_secret", "not-the-key"});
  auto client = wrong->Connect();
  ASSERT_TRUE(client.ok());
  EXPECT_TRUE(ReceivesClose(*client, 1011)) << "401 is Unauthenticated: Connect fails";
  EXPECT_TRUE(wrong->process().WaitForOutput("code = Unauthenticated desc = http returned 401"))
      << wrong->process().Stderr();
}

// ------------------------------------------- cable rpc's HTTP listener alone

class CableRpcHttpListenerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(rpc_.ok) << rpc_.process.Stderr(); }

  static std::string Bearer() { return kRpcSecret; }

  RawResponse Post(RawConnection& c, const std::string& target, const std::string& body,
                   const std::string& bearer, const std::string& extra = "") {
    EXPECT_TRUE(c.Send(PostHead(target, body.size(), bearer, extra) + body));
    return c.ReadResponse();
  }

  CableRpcHttp rpc_{{"--http-rpc-secret", kRpcSecret}};
};

TEST_F(CableRpcHttpListenerTest, AnswersCallsAsJsonAndKeepsTheConnection) {
  RawConnection c(rpc_.port);
  const std::string body = R"({"env":{"url":"http://example.com/cable","headers":{}}})";
  auto r = Post(c, "/_anycable/connect", body, Bearer(), "X-Anycable-Meta-Sid: raw-sid\r\n");
  ASSERT_EQ(r.status, 200) << r.head << r.body;
  EXPECT_THAT(r.Header("Content-Type"), HasSubstr("application/json"));
  auto reply = nlohmann::json::parse(r.body);
  EXPECT_EQ(reply["status"], 1) << "enums as integers: " << r.body;
  EXPECT_THAT(reply["transmissions"][0].get<std::string>(), HasSubstr("raw-sid"));
  EXPECT_TRUE(reply.contains("identifiers")) << "snake_case names: " << r.body;

  const std::string command =
      nlohmann::json{{"command", "subscribe"},
                     {"identifier", AnytIdentifier("SubscriptionAknowledgementRejectorChannel")},
                     {"connection_identifiers", reply["identifiers"]},
                     {"env", {{"url", "http://example.com/cable"}}}}
          .dump();
  r = Post(c, "/_anycable/command", command, Bearer());
  ASSERT_EQ(r.status, 200) << "the same connection serves the next call: " << r.error;
  EXPECT_EQ(nlohmann::json::parse(r.body)["status"], 2) << r.body;

  r = Post(c, "/_anycable/disconnect", R"({"identifiers":"{}","subscriptions":[]})", Bearer());
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(CableRpcHttpListenerTest, RefusesFromTheHeadersBeforeReadingABody) {
  // Each head announces 1 MB and sends none of it: the answer must come
  // from the headers alone.
  for (const auto& bearer : {std::string(), std::string("wrong"), Bearer() + "x"}) {
    RawConnection c(rpc_.port);
    ASSERT_TRUE(c.Send(PostHead("/_anycable/connect", 1 << 20, bearer)));
    auto r = c.ReadResponse();
    EXPECT_EQ(r.status, 401) << "bearer \"" << bearer << "\": " << r.error;
    EXPECT_TRUE(c.WaitForClose()) << "an unread body closes the connection";
  }
  RawConnection big(rpc_.port);
  ASSERT_TRUE(big.Send(PostHead("/_anycable/command", 64 << 20, Bearer())));
  EXPECT_EQ(big.ReadResponse().status, 413);

  RawConnection get(rpc_.port);
  ASSERT_TRUE(get.Send("GET /_anycable/connect HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                       Bearer() + "\r\n\r\n"));
  auto r = get.ReadResponse();
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("Allow"), "POST");

  for (const std::string target : {"/_anycable/other", "/connect", "/_anycable/connect/x"}) {
    RawConnection c(rpc_.port);
    EXPECT_EQ(Post(c, target, "{}", Bearer()).status, 404) << target;
  }
}

TEST_F(CableRpcHttpListenerTest, BadBodiesAre400AndTheListenerLivesOn) {
  for (const std::string& body : std::vector<std::string>{
           "not json", "[1,2]", R"({"env":{"url":5}})", std::string(100000, '[')}) {
    RawConnection c(rpc_.port);
    auto r = Post(c, "/_anycable/connect", body, Bearer());
    EXPECT_EQ(r.status, 400) << body.substr(0, 20) << ": " << r.body;
  }
  RawConnection chunked(rpc_.port);
  ASSERT_TRUE(chunked.Send("POST /_anycable/connect HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                           Bearer() +
                           "\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"));
  EXPECT_EQ(chunked.ReadResponse().status, 200) << "a chunked body is read too";
  RawConnection c(rpc_.port);
  EXPECT_EQ(Post(c, "/_anycable/connect", "{}", Bearer()).status, 200);
}

TEST(CableRpcHttpFlags, NoGrpcNeedsAnHttpPortAndPathsStartWithASlash) {
  auto r = testing::Run({CableBinary(), "rpc", "--channels", "anyt", "--no-grpc"}, CleanEnv());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--no-grpc needs --http-port"));
  r = testing::Run(
      {CableBinary(), "rpc", "--channels", "anyt", "--http-port", "0", "--http-path", "rpc"},
      CleanEnv());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--http-path must start with /"));
}

TEST(CableRpcHttpFlags, ServesGrpcAndHttpSideBySide) {
  const int grpc_port = FreePort();
  const int http_port = FreePort();
  ChildProcess rpc(
      {CableBinary(), "rpc", "--channels", "anyt", "--host",
       "127.0.0.1:" + std::to_string(grpc_port), "--http-port", std::to_string(http_port)},
      CleanEnv());
  ASSERT_TRUE(WaitForPort(grpc_port) && WaitForPort(http_port)) << rpc.Stderr();
  EXPECT_TRUE(
      rpc.WaitForOutput("http://127.0.0.1:" + std::to_string(http_port) + "/_anycable (HTTP RPC)"))
      << rpc.Stdout();
  EXPECT_TRUE(Works(*ServeWith("127.0.0.1:" + std::to_string(grpc_port), {})));
  EXPECT_TRUE(
      Works(*ServeWith("http://127.0.0.1:" + std::to_string(http_port) + "/_anycable", {})));
}

// ---------------------------------------------- outcomes, scripted backend

class HttpRpcOutcomeTest : public ::testing::Test {
 protected:
  std::unique_ptr<CableServer> Serve(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--http_rpc_secret",     kRpcSecret,
                                     "--rpc_command_timeout", "1000",
                                     "--metrics_http",        "/metrics"};
    args.insert(args.end(), extra.begin(), extra.end());
    return ServeWith(sink_.url("/_anycable"), args);
  }

  // A client refused with 1011 (as for any RPC error on Connect), and the
  // server's log naming `what`.
  ::testing::AssertionResult ConnectFailsWith(CableServer& server, const std::string& what) {
    auto client = server.Connect();
    if (!client.ok()) return ::testing::AssertionFailure() << client.error().message;
    if (auto r = ReceivesClose(*client, 1011, 5s); !r)
      return r << "; log: " << server.process().Stderr();
    if (!server.process().WaitForOutput(what)) {
      return ::testing::AssertionFailure()
             << "no \"" << what << "\" in the log: " << server.process().Stderr();
    }
    return ::testing::AssertionSuccess();
  }

  HttpSink sink_;
};

TEST_F(HttpRpcOutcomeTest, RequestsCarryTheWireFormat) {
  sink_.set_status(200, kWelcomeReply);
  auto server = Serve({"--headers", "cookie,x-api-token"});
  auto client = server->Connect(
      "/cable?room=1", {{"X-Request-ID", "wire-sid"}, {"Cookie", "a=1"}, {"X-Api-Token", "t"}});
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE(ReceivesMessage(*client, {{"type", "welcome"}}));
  ASSERT_TRUE(sink_.WaitForRequests(1));
  const auto r = sink_.requests()[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/_anycable/connect");
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("authorization"), std::string("Bearer ") + kRpcSecret);
  EXPECT_EQ(r.header("x-anycable-meta-sid"), "wire-sid");
  EXPECT_EQ(r.header("x-anycable-meta-protov"), "v1");
  auto body = nlohmann::json::parse(r.body);
  EXPECT_THAT(body["env"]["url"].get<std::string>(), HasSubstr("/cable?room=1"));
  EXPECT_EQ(body["env"]["headers"]["cookie"], "a=1");
  EXPECT_EQ(body["env"]["headers"]["x-api-token"], "t");
  EXPECT_FALSE(body["env"].contains("cstate")) << "empty fields are left out: " << r.body;
}

struct StatusCase {
  int status;
  const char* code;
};

class HttpRpcStatusTest : public HttpRpcOutcomeTest,
                          public ::testing::WithParamInterface<StatusCase> {};

TEST_P(HttpRpcStatusTest, ConnectFailsWithTheMatchingGrpcCode) {
  sink_.set_status(GetParam().status, "went wrong");
  auto server = Serve();
  EXPECT_TRUE(ConnectFailsWith(*server, std::string("code = ") + GetParam().code +
                                            " desc = http returned " +
                                            std::to_string(GetParam().status)));
  EXPECT_EQ(Metric(*server, "rpc_retries_total"), 0) << "only network errors are retried";
  EXPECT_EQ(sink_.requests().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Statuses, HttpRpcStatusTest,
                         ::testing::Values(StatusCase{401, "Unauthenticated"},
                                           StatusCase{400, "InvalidArgument"},
                                           StatusCase{422, "InvalidArgument"},
                                           StatusCase{500, "Unknown"}, StatusCase{404, "Unknown"},
                                           StatusCase{201, "Unknown"}));

TEST_F(HttpRpcOutcomeTest, MalformedAndOversizedRepliesFailTheCallClearly) {
  sink_.set_status(200, "<html>oops</html>");
  auto server = Serve({"--rpc_max_call_recv_size", "256"});
  EXPECT_TRUE(ConnectFailsWith(*server, "is not a ConnectionResponse in JSON"));
  EXPECT_TRUE(server->process().WaitForOutput("<html>oops</html>")) << "the reply is shown";
  sink_.set_status(200, R"({"status":1,"identifiers":{"not":"a string"}})");
  EXPECT_TRUE(ConnectFailsWith(*server, R"("not":"a string")"));
  sink_.set_status(200,
                   std::string(R"({"status":1,"identifiers":")") + std::string(1000, 'x') + "\"}");
  EXPECT_TRUE(ConnectFailsWith(*server, "code = ResourceExhausted"));
  EXPECT_EQ(HttpGet(server->port(), "/health"), 200);
}

TEST_F(HttpRpcOutcomeTest, CommandErrorsReachTheLogNotTheClient) {
  sink_.set_status(200, kWelcomeReply);
  auto server = Serve();
  ASSERT_CONNECTED(client, ConnectWelcomed(*server));
  sink_.set_status(422, "bad params");
  const auto id = AnytIdentifier("SubscriptionPerformMethodsChannel");
  ASSERT_TRUE(client.SendText(SubscribeCommand(id)).ok());
  EXPECT_TRUE(server->process().WaitForOutput("code = InvalidArgument"));
  EXPECT_TRUE(Pongs(client)) << "the session goes on, as after a gRPC error";
}

TEST_F(HttpRpcOutcomeTest, SilenceIsDeadlineExceededAfterTheRequestTimeout) {
  sink_.set_unresponsive(true);
  for (const char* flag : {"--rpc_request_timeout", "--http_rpc_timeout"}) {
    auto server = Serve({flag, "300"});
    const auto start = Clock::now();
    EXPECT_TRUE(ConnectFailsWith(*server, "code = DeadlineExceeded")) << flag;
    EXPECT_LT(Clock::now() - start, 2500ms) << flag << " bounds the call, not the 3 s default";
    EXPECT_EQ(WaitForMetric(*server, "rpc_timeout_total", 1), 1) << flag;
  }
}

TEST_F(HttpRpcOutcomeTest, AnUnreachableBackendIsRetriedThenUnavailable) {
  const int closed = FreePort();
  auto server = ServeWith("http://127.0.0.1:" + std::to_string(closed) + "/_anycable",
                          {"--rpc_command_timeout", "1000", "--metrics_http", "/metrics"});
  EXPECT_TRUE(ConnectFailsWith(*server, "code = Unavailable"));
  // Backoff 100, 200, 400 ms fits a 1 s command; 800 more would not.
  EXPECT_EQ(Metric(*server, "rpc_retries_total"), 3);
  EXPECT_EQ(Metric(*server, "rpc_error_total"), 1);
}

// ------------------------------------------------------- circuit breaker

TEST(HttpRpcCircuitBreaker, OpensWhenMostCallsFailAndClosesWhenTheBackendAnswers) {
  HttpSink sink;
  sink.set_unresponsive(true);
  auto server = ServeWith(sink.url("/_anycable"),
                          {"--rpc_request_timeout", "200", "--rpc_command_timeout", "1000"});
  // Ten Connect calls time out together: 100 % of 10 failed.
  std::vector<ws::Client> clients;
  for (int i = 0; i < 10; ++i) {
    auto c = server->Connect();
    ASSERT_TRUE(c.ok());
    clients.push_back(std::move(*c));
  }
  for (auto& c : clients) EXPECT_TRUE(ReceivesClose(c, 1011, 5s));
  ASSERT_TRUE(server->process().WaitForOutput("HTTP RPC circuit breaker open"));
  ASSERT_EQ(sink.requests().size(), 10u);

  // Open: calls fail at once, the backend sees none of them.
  for (int i = 0; i < 5; ++i) {
    const auto start = Clock::now();
    auto c = server->Connect();
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE(ReceivesClose(*c, 1011, 5s));
    EXPECT_LT(Clock::now() - start, 150ms) << "no wait for the 200 ms timeout";
  }
  EXPECT_TRUE(server->process().WaitForOutput("circuit breaker is open"));
  EXPECT_EQ(sink.requests().size(), 10u);

  // The backend answers again; after the 5 s pause trial calls get through
  // and their success closes the breaker.
  sink.set_unresponsive(false);
  sink.set_status(200, kWelcomeReply);
  const auto deadline = Clock::now() + 15s;
  int welcomed = 0;
  while (welcomed < 5 && Clock::now() < deadline) {
    if (ConnectWelcomed(*server).ok()) ++welcomed;
  }
  EXPECT_EQ(welcomed, 5);
  EXPECT_TRUE(server->process().WaitForOutput("HTTP RPC circuit breaker closed"));
  const std::string log = server->process().Stderr();
  EXPECT_EQ(Count(log, "circuit breaker open:"), 1u) << "logged per transition: " << log;
  EXPECT_EQ(Count(log, "circuit breaker half-open:"), 1u) << log;
}

// ------------------------------------------------------------------ HTTPS

class HttpsRpcTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(rpc_.ok) << rpc_.process.Stderr(); }
  CableRpcHttp rpc_{{"--tls-cert", Certs().cert, "--tls-key", Certs().key}};
};

TEST_F(HttpsRpcTest, CallsTheBackendOverHttpsCheckingItsCertificate) {
  EXPECT_TRUE(rpc_.process.WaitForOutput("https://127.0.0.1:")) << rpc_.process.Stdout();
  EXPECT_TRUE(Works(*ServeWith(rpc_.Url("https"), {"--rpc_tls_root_ca", Certs().cert})));
  std::ifstream in(Certs().cert);
  std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(Works(*ServeWith(rpc_.Url("https"), {"--rpc_tls_root_ca", pem})))
      << "the CA as PEM text";
  EXPECT_TRUE(Works(*ServeWith(rpc_.Url("https"), {"--rpc_tls_verify=false"})))
      << "verification off for development";
}

TEST_F(HttpsRpcTest, AnUntrustedCertificateIsUnauthenticated) {
  auto server = ServeWith(rpc_.Url("https"), {});
  auto client = server->Connect();
  ASSERT_TRUE(client.ok());
  EXPECT_TRUE(ReceivesClose(*client, 1011));
  EXPECT_TRUE(server->process().WaitForOutput("code = Unauthenticated"))
      << server->process().Stderr();
}

TEST(HttpsRpcSettings, ABadRootCaStopsTheStart) {
  ChildProcess serve({CableBinary(), "serve", "--port", std::to_string(FreePort()), "--rpc_host",
                      "https://127.0.0.1:1/_anycable", "--rpc_tls_root_ca", "/nonexistent/ca.pem"},
                     CleanEnv());
  auto code = serve.Wait(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  EXPECT_THAT(serve.Stderr(), HasSubstr("/nonexistent/ca.pem"));
}

}  // namespace
}  // namespace cable::testing
