// The Durable Streams read API of the real `cable serve --ds` (spec §11.3),
// read off raw sockets: catch-up reads of the broker's history with their
// headers and offsets (from the start, from a returned offset, `now`, pages
// of 100), long-polls woken by a broadcast or answered 204 after
// --ds_poll_interval, SSE mode with its `data` and `control` events ended
// after --ds_sse_ttl, stream authorization (signed, public, 401),
// authentication like WebSocket clients and --ds_skip_auth, bad offsets
// (400) and lost ones (410), 410 at shutdown, the ds_* metrics, no broker,
// and the Redis broker.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <regex>
#include <thread>

#include "common/auth/message_verifier.h"
#include "common/strings.h"
#include "server/raw_http.h"
#include "server/server_test_helpers.h"
#include "server/sse_stream.h"
#include "support/auth_vectors.h"
#include "support/redis_server.h"

namespace cable::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kSecret = "ds-streams-secret";

std::string Signed(const std::string& stream) {
  return auth::SignStream(stream, kSecret).value();
}

// `/ds/<stream>?signed=<signature of stream>&<query>`.
std::string SignedTarget(const std::string& stream, const std::string& query = "") {
  return "/ds/" + stream + "?signed=" + PercentEncode(Signed(stream)) +
         (query.empty() ? "" : "&" + query);
}

std::string Request(const std::string& target, const std::string& extra = "",
                    const std::string& method = "GET") {
  return method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" + extra + "\r\n";
}

RawResponse Get(int port, const std::string& target, const std::string& extra = "",
                std::chrono::milliseconds timeout = kReceiveTimeout) {
  RawConnection c(port);
  if (!c.ok() || !c.Send(Request(target, extra))) return RawResponse{0, "", "", "no connection"};
  return c.ReadResponse(timeout);
}

std::string Published(const std::string& stream, const Json& payload) {
  return Publication(stream, payload).dump();
}

// An offset this server hands out: `<offset>::<epoch>`.
::testing::AssertionResult IsOffset(const std::string& value, const std::string& number) {
  if (std::regex_match(value, std::regex(number + "::[A-Za-z0-9_-]+"))) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "offset `" << value << "`, expected " << number << "::<epoch>";
}

// Waits until the metric reaches `value` (metrics are read, not pushed).
::testing::AssertionResult MetricBecomes(int port, const std::string& name, double value) {
  const auto deadline = Clock::now() + kReceiveTimeout;
  double last = -1;
  while (Clock::now() < deadline) {
    last = MetricValue(ScrapeMetrics(port), name);
    if (last == value) return ::testing::AssertionSuccess();
    std::this_thread::sleep_for(20ms);
  }
  return ::testing::AssertionFailure() << name << " is " << last << ", expected " << value;
}

// ------------------------------------------------------ the shared server

class DsTest : public SharedServerTest<DsTest> {
 public:
  static ServeOptions Options() {
    ServeOptions options;
    options.backend.clear();
    options.args = {"--ds",  "--broker",       "memory",   "--history_limit",
                    "300",   "--norpc",        "--noauth", "--streams_secret",
                    kSecret, "--metrics_http", "/metrics", "--ds_poll_interval",
                    "1",     "--ds_sse_ttl",   "2"};
    return options;
  }

 protected:
  static int port() { return server().port(); }
  static void Publish(const std::string& stream, const Json& payload) {
    ASSERT_EQ(server().Broadcast(Published(stream, payload)), 201);
  }
  static double Metric(const std::string& name) { return MetricValue(ScrapeMetrics(port()), name); }
};

TEST_F(DsTest, CatchUpFromTheStartReturnsTheHistoryInOrderWithDsHeaders) {
  for (int n = 1; n <= 3; ++n) Publish("ds/catchup", {{"n", n}});
  auto r = Get(port(), SignedTarget("ds/catchup", "offset=-1"));
  ASSERT_EQ(r.status, 200) << r.head << r.body;
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_EQ(Json::parse(r.body), Json::parse(R"([{"n":1},{"n":2},{"n":3}])"));
  EXPECT_TRUE(IsOffset(r.Header("Stream-Next-Offset"), "3"));
  EXPECT_EQ(r.Header("Stream-Up-To-Date"), "true");
  EXPECT_TRUE(std::regex_match(r.Header("Stream-Cursor"), std::regex("[0-9]+")))
      << r.Header("Stream-Cursor");
  EXPECT_EQ(r.Header("Cache-Control"), "public, max-age=60, stale-while-revalidate=300");
  EXPECT_FALSE(r.Header("X-AnyCable-Version").empty());
  EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "*");

  // No offset at all is a read from the start; the stream may be
  // percent-encoded and the signature may come as a header.
  auto same = Get(port(), "/ds/ds%2Fcatchup", "X-Signed: " + Signed("ds/catchup") + "\r\n");
  ASSERT_EQ(same.status, 200) << same.head;
  EXPECT_EQ(same.body, r.body);
}

TEST_F(DsTest, TheNextOffsetContinuesWithoutGapsOrRepeats) {
  Publish("ds/next", {{"n", 1}});
  Publish("ds/next", {{"n", 2}});
  auto first = Get(port(), SignedTarget("ds/next", "offset=-1"));
  ASSERT_EQ(first.status, 200);
  const std::string o1 = first.Header("Stream-Next-Offset");
  ASSERT_TRUE(IsOffset(o1, "2"));
  Publish("ds/next", {{"n", 3}});
  Publish("ds/next", {{"n", 4}});
  auto second = Get(port(), SignedTarget("ds/next", "offset=" + PercentEncode(o1)));
  ASSERT_EQ(second.status, 200) << second.head;
  EXPECT_EQ(Json::parse(second.body), Json::parse(R"([{"n":3},{"n":4}])"));
  const std::string o2 = second.Header("Stream-Next-Offset");
  EXPECT_TRUE(IsOffset(o2, "4"));
  auto third = Get(port(), SignedTarget("ds/next", "offset=" + PercentEncode(o2)));
  ASSERT_EQ(third.status, 200);
  EXPECT_EQ(third.body, "[]");
  EXPECT_EQ(third.Header("Stream-Next-Offset"), o2);
  EXPECT_EQ(third.Header("Stream-Up-To-Date"), "true");
}

TEST_F(DsTest, NowReadsNothingAndPointsAtTheTail) {
  Publish("ds/now", {{"n", 1}});
  Publish("ds/now", {{"n", 2}});
  auto r = Get(port(), SignedTarget("ds/now", "offset=now"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "[]");
  EXPECT_TRUE(IsOffset(r.Header("Stream-Next-Offset"), "2"));
  auto empty = Get(port(), SignedTarget("ds/never-published", "offset=-1"));
  ASSERT_EQ(empty.status, 200);
  EXPECT_EQ(empty.body, "[]");
  EXPECT_EQ(empty.Header("Stream-Next-Offset"), "0");
  auto head = [&] {
    RawConnection c(port());
    EXPECT_TRUE(c.Send(Request(SignedTarget("ds/now"), "", "HEAD")));
    return c.ReadResponse();
  }();
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("Stream-Next-Offset"), r.Header("Stream-Next-Offset"));
  EXPECT_EQ(head.Header("Cache-Control"), "no-store");
}

TEST_F(DsTest, ResponsesCarryAtMost100MessagesAndTheRestFollows) {
  Json batch = Json::array();
  for (int n = 1; n <= 150; ++n) batch.push_back(Publication("ds/pages", {{"n", n}}));
  ASSERT_EQ(server().Broadcast(batch.dump()), 201);
  auto first = Get(port(), SignedTarget("ds/pages", "offset=-1"));
  ASSERT_EQ(first.status, 200);
  auto page = Json::parse(first.body);
  ASSERT_EQ(page.size(), 100u);
  EXPECT_EQ(page.front()["n"], 1);
  EXPECT_EQ(page.back()["n"], 100);
  EXPECT_TRUE(IsOffset(first.Header("Stream-Next-Offset"), "100"));
  EXPECT_EQ(first.Header("Stream-Up-To-Date"), "") << "more is kept";
  auto rest =
      Get(port(),
          SignedTarget("ds/pages", "offset=" + PercentEncode(first.Header("Stream-Next-Offset"))));
  auto tail = Json::parse(rest.body);
  ASSERT_EQ(tail.size(), 50u);
  EXPECT_EQ(tail.front()["n"], 101);
  EXPECT_EQ(rest.Header("Stream-Up-To-Date"), "true");
}

TEST_F(DsTest, ALongPollWakesOnABroadcastWithThatMessageOnly) {
  Publish("ds/poll", {{"n", 1}});
  auto now = Get(port(), SignedTarget("ds/poll", "offset=now"));
  const std::string tail = now.Header("Stream-Next-Offset");
  const double waiting = Metric("ds_poll_clients_num");
  const double polls = Metric("ds_poll_requests_total");
  RawConnection c(port());
  ASSERT_TRUE(
      c.Send(Request(SignedTarget("ds/poll", "live=long-poll&offset=" + PercentEncode(tail)))));
  ASSERT_TRUE(MetricBecomes(port(), "ds_poll_clients_num", waiting + 1));
  Publish("ds/poll", {{"n", 2}});
  auto r = c.ReadResponse();
  ASSERT_EQ(r.status, 200) << r.head;
  EXPECT_EQ(Json::parse(r.body), Json::parse(R"([{"n":2}])"));
  EXPECT_TRUE(IsOffset(r.Header("Stream-Next-Offset"), "2"));
  EXPECT_EQ(r.Header("Stream-Up-To-Date"), "true");
  EXPECT_TRUE(MetricBecomes(port(), "ds_poll_clients_num", waiting));
  EXPECT_EQ(Metric("ds_poll_requests_total"), polls + 1);

  // The connection stays open for the next read.
  ASSERT_TRUE(c.Send(Request(SignedTarget("ds/poll", "offset=-1"))));
  auto again = c.ReadResponse();
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(Json::parse(again.body).size(), 2u);
}

TEST_F(DsTest, ALongPollBehindTheTailIsAnsweredAtOnce) {
  Publish("ds/poll-behind", {{"n", 1}});
  const double polls = Metric("ds_poll_requests_total");
  const auto start = Clock::now();
  auto r = Get(port(), SignedTarget("ds/poll-behind", "live=long-poll&offset=-1"));
  ASSERT_EQ(r.status, 200);
  EXPECT_LT(Clock::now() - start, 900ms) << "no wait: there was something to return";
  EXPECT_EQ(Json::parse(r.body), Json::parse(R"([{"n":1}])"));
  EXPECT_EQ(Metric("ds_poll_requests_total"), polls) << "only waiting polls are counted";
}

TEST_F(DsTest, ALongPollWithNothingNewIsAnswered204AfterThePollInterval) {
  const auto start = Clock::now();
  auto r = Get(port(), SignedTarget("ds/poll-idle", "live=long-poll&offset=now"), "", 5s);
  ASSERT_EQ(r.status, 204) << r.head << r.error;
  EXPECT_GE(Clock::now() - start, 900ms) << "--ds_poll_interval 1";
  EXPECT_FALSE(r.Header("Stream-Cursor").empty());
  EXPECT_EQ(r.Header("Content-Length"), "");
}

TEST_F(DsTest, SseSendsTheCatchUpThenBroadcastsAndEndsAfterItsTtl) {
  Publish("ds/sse", {{"n", 1}});
  const double requests = Metric("ds_sse_requests_total");
  const auto start = Clock::now();
  SseStream s(port(), SseStream::Get(SignedTarget("ds/sse", "live=sse&offset=-1")));
  ASSERT_EQ(s.status(), 200) << s.response().head;
  EXPECT_EQ(s.response().Header("Content-Type"), "text/event-stream");
  EXPECT_EQ(s.response().Header("Cache-Control"),
            "private, no-cache, no-store, must-revalidate, max-age=0");
  auto data = s.Next();
  ASSERT_TRUE(data);
  EXPECT_EQ(data->type, "data");
  EXPECT_EQ(Json::parse(data->data), Json::parse(R"([{"n":1}])"));
  auto control = s.Next();
  ASSERT_TRUE(control);
  EXPECT_EQ(control->type, "control");
  auto c = Json::parse(control->data);
  EXPECT_TRUE(IsOffset(c["streamNextOffset"], "1"));
  EXPECT_TRUE(c["streamCursor"].is_string());
  EXPECT_EQ(c["upToDate"], true);
  EXPECT_EQ(Metric("ds_sse_requests_total"), requests + 1);
  EXPECT_EQ(Metric("ds_sse_clients_num"), 1);

  Publish("ds/sse", {{"n", 2}});
  auto live = s.Next();
  ASSERT_TRUE(live);
  EXPECT_EQ(live->type, "data");
  EXPECT_EQ(Json::parse(live->data), Json::parse(R"([{"n":2}])"));
  auto live_control = s.Next();
  ASSERT_TRUE(live_control);
  EXPECT_TRUE(IsOffset(Json::parse(live_control->data)["streamNextOffset"], "2"));
  EXPECT_EQ(s.body().find("\"upToDate\"", s.body().find("[{\"n\":2}]")), std::string::npos)
      << "live control events do not say upToDate, as anycable-go's";

  EXPECT_TRUE(s.WaitForEnd(5s));
  EXPECT_GE(Clock::now() - start, 1900ms) << "--ds_sse_ttl 2";
  EXPECT_TRUE(MetricBecomes(port(), "ds_sse_clients_num", 0));
}

TEST_F(DsTest, StreamsMustBeSignedForThemselves) {
  EXPECT_EQ(Get(port(), "/ds/ds/open?offset=-1").status, 401) << "no --public_streams";
  EXPECT_EQ(Get(port(), "/ds/ds/open?offset=-1&signed=bm9wZQ==--0000").status, 401);
  // A valid signature of another stream does not open this one.
  EXPECT_EQ(Get(port(), "/ds/ds/open?offset=-1&signed=" + PercentEncode(Signed("ds/other"))).status,
            401);
  EXPECT_EQ(Get(port(), "/ds/ds/open?live=sse&offset=-1").status, 401);
  EXPECT_EQ(Get(port(), SignedTarget("ds/open", "offset=-1")).status, 200);
}

TEST_F(DsTest, MalformedRequestsAre400AndLostOffsets410) {
  for (const char* query : {"offset=abc", "offset=-5", "offset=1x::e", "live=forever&offset=-1",
                            "live=sse", "live=long-poll"}) {
    EXPECT_EQ(Get(port(), SignedTarget("ds/bad", query)).status, 400) << query;
  }
  EXPECT_EQ(Get(port(), "/ds/").status, 400) << "no stream";
  Publish("ds/bad", {{"n", 1}});
  EXPECT_EQ(Get(port(), SignedTarget("ds/bad", "offset=1::another-epoch")).status, 410);
  EXPECT_EQ(Get(port(), SignedTarget("ds/bad", "offset=1")).status, 410) << "no epoch";
  EXPECT_EQ(Get(port(), SignedTarget("ds/bad", "offset=" + PercentEncode("99::x"))).status, 410);
}

TEST_F(DsTest, OnlyReadsAreServed) {
  RawConnection post(port());
  ASSERT_TRUE(post.Send(Request(SignedTarget("ds/ro"), "", "DELETE")));
  EXPECT_EQ(post.ReadResponse().status, 405);
  RawConnection preflight(port());
  ASSERT_TRUE(preflight.Send(Request("/ds/ro", "Origin: https://app.test\r\n", "OPTIONS")));
  auto r = preflight.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "*");
}

TEST_F(DsTest, RequestsAreCounted) {
  const double before = Metric("ds_requests_total");
  ASSERT_GE(before, 0) << "exported with --ds";
  EXPECT_EQ(Get(port(), SignedTarget("ds/count")).status, 200);
  EXPECT_EQ(Get(port(), SignedTarget("ds/count")).status, 200);
  EXPECT_EQ(Metric("ds_requests_total"), before + 2);
  EXPECT_EQ(Get(port(), "/ds/ds/count").status, 401);
  EXPECT_EQ(Metric("ds_requests_total"), before + 2) << "refused requests do no work";
}

// ------------------------------------------------------ own servers

TEST(DsAuth, ClientsAuthenticateLikeWebSocketClientsUnlessSkipped) {
  const auto& v = AuthVectors()["jwt"][0];
  const std::string token = v["token"];
  ServeOptions options;
  options.backend.clear();
  options.args = {"--ds",         "--broker",  "memory",       "--norpc", "--public_streams",
                  "--jwt_secret", v["secret"], "--enforce_jwt"};
  CableServer server(options);
  EXPECT_EQ(Get(server.port(), "/ds/jwt?offset=-1").status, 401);
  EXPECT_EQ(Get(server.port(), "/ds/jwt?offset=-1&jid=not-a-jwt").status, 401);
  EXPECT_EQ(Get(server.port(), "/ds/jwt?offset=-1&jid=" + token).status, 200);
  EXPECT_EQ(Get(server.port(), "/ds/jwt?offset=-1", "X-JID: " + token + "\r\n").status, 200);

  options.args.push_back("--ds_skip_auth");
  CableServer skipping(options);
  EXPECT_EQ(Get(skipping.port(), "/ds/jwt?offset=-1").status, 200);
}

TEST(DsAuth, RpcConnectDecidesWithTheRequestHeaders) {
  // The AnyT backend's `test=cookies` handler wants this cookie.
  ServeOptions options;
  options.args = {"--ds", "--broker", "memory", "--public_streams"};
  CableServer server(options);
  EXPECT_EQ(Get(server.port(), "/ds/rpc?offset=-1&test=cookies").status, 401);
  EXPECT_EQ(Get(server.port(), "/ds/rpc?offset=-1&test=cookies", "Cookie: username=john green\r\n")
                .status,
            200);
}

TEST(DsShutdown, WaitingLongPollsGet410) {
  ServeOptions options;
  options.backend.clear();
  options.args = {"--ds",     "--broker",           "memory", "--public", "--metrics_http",
                  "/metrics", "--ds_poll_interval", "60"};
  CableServer server(options);
  RawConnection c(server.port());
  ASSERT_TRUE(c.Send(Request("/ds/bye?live=long-poll&offset=now")));
  ASSERT_TRUE(MetricBecomes(server.port(), "ds_poll_clients_num", 1));
  const auto start = Clock::now();
  server.process().Signal(SIGTERM);
  auto r = c.ReadResponse();
  EXPECT_EQ(r.status, 410) << r.head << r.error;
  EXPECT_LT(Clock::now() - start, 5s);
  EXPECT_TRUE(server.process().Wait(10s).has_value());
}

TEST(DsLongPoll, AClientThatLeavesIsForgottenAtOnce) {
  ServeOptions options;
  options.backend.clear();
  options.args = {"--ds",     "--broker",           "memory", "--public", "--metrics_http",
                  "/metrics", "--ds_poll_interval", "60"};
  CableServer server(options);
  for (int i = 0; i < 3; ++i) {
    RawConnection c(server.port());
    ASSERT_TRUE(c.Send(Request("/ds/leaving?live=long-poll&offset=now")));
    ASSERT_TRUE(MetricBecomes(server.port(), "ds_poll_clients_num", 1));
    c.Close();
    // Well before the 60 s poll interval.
    ASSERT_TRUE(MetricBecomes(server.port(), "ds_poll_clients_num", 0));
  }
}

TEST(DsNoBroker, StartsWithAWarningAndAnswers500) {
  ServeOptions options;
  options.backend.clear();
  options.args = {"--ds", "--public"};
  CableServer server(options);
  EXPECT_TRUE(server.process().WaitForOutput("Durable Streams need a broker"));
  EXPECT_EQ(Get(server.port(), "/ds/none?offset=-1").status, 500);
}

TEST(DsRedis, ReadsComeFromTheRedisBroker) {
  if (!RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
  RedisServer redis;
  ServeOptions options;
  options.backend.clear();
  options.args = {"--ds",     "--public", "--broker",           "redis", "--redis_url", redis.url(),
                  "--pubsub", "none",     "--ds_poll_interval", "5"};
  CableServer server(options);
  for (int n = 1; n <= 2; ++n) {
    ASSERT_EQ(server.Broadcast(Published("ds/redis", {{"n", n}})), 201);
  }
  auto r = Get(server.port(), "/ds/ds/redis?offset=-1");
  ASSERT_EQ(r.status, 200) << r.head;
  EXPECT_EQ(Json::parse(r.body), Json::parse(R"([{"n":1},{"n":2}])"));
  const std::string tail = r.Header("Stream-Next-Offset");
  EXPECT_TRUE(IsOffset(tail, "2"));
  EXPECT_EQ(Get(server.port(), "/ds/ds/redis?offset=now").Header("Stream-Next-Offset"), tail);

  RawConnection c(server.port());
  ASSERT_TRUE(c.Send(Request("/ds/ds/redis?live=long-poll&offset=" + PercentEncode(tail))));
  // The poll may still be reading the history: what it misses there, it
  // takes from the broadcast it watches, so one broadcast is enough.
  ASSERT_EQ(server.Broadcast(Published("ds/redis", {{"n", 3}})), 201);
  auto woken = c.ReadResponse();
  ASSERT_EQ(woken.status, 200) << woken.head;
  EXPECT_EQ(Json::parse(woken.body), Json::parse(R"([{"n":3}])"));
  EXPECT_TRUE(IsOffset(woken.Header("Stream-Next-Offset"), "3"));
}

}  // namespace
}  // namespace cable::testing
