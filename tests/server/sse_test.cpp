// Server-Sent Events through the real `cable serve --sse` (spec §11.1), read
// off raw sockets: the response headers, authentication like a WebSocket
// client's (RPC Connect with cookies, JWT from the query or a header) and
// its 401, subscriptions from the query or a POST body of JSON lines and
// their 400, the event encoding (types, split data lines, positions as
// `id:`, `retry:`), raw mode, resuming from Last-Event-ID with the memory
// broker, the Disconnect call when a stream closes, the sse_clients_num
// gauge, shutdown, TLS, and hostile clients (a huge query, oversized bodies,
// a client that never reads, many streams at once).

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <regex>
#include <thread>

#include "common/strings.h"
#include "server/node_script_test.h"
#include "server/server_test_helpers.h"
#include "server/sse_stream.h"
#include "support/auth_vectors.h"
#include "support/tls_certs.h"

namespace cable::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kStreamsSecret = "s3Krit";  // signs "chat/2023" in the vectors

std::string Encode(const std::string& s) {
  return PercentEncode(s);
}

std::string PubsubIdentifier(const std::string& stream) {
  return Json{{"channel", "$pubsub"}, {"stream_name", stream}}.dump();
}

Json ParsedData(const SseEvent& event) {
  return Json::parse(event.data, nullptr, false);
}

// The value of `anycable_go_<name>` in Prometheus text; -1 when absent.
double MetricValue(const std::string& text, const std::string& name) {
  std::smatch m;
  const std::regex line("(^|\n)anycable_go_" + name + "(\\{[^}]*\\})? ([0-9.e+-]+)");
  if (!std::regex_search(text, m, line)) return -1;
  return std::stod(m[3]);
}

// Waits until the metric reaches `value` (metrics are read, not pushed).
::testing::AssertionResult MetricBecomes(int port, const std::string& name, double value) {
  const auto deadline = Clock::now() + kReceiveTimeout;
  double last = -1;
  while (Clock::now() < deadline) {
    std::string body;
    if (HttpGet(port, "/metrics", &body) == 200) {
      last = MetricValue(body, name);
      if (last == value) return ::testing::AssertionSuccess();
    }
    std::this_thread::sleep_for(20ms);
  }
  return ::testing::AssertionFailure() << name << " is " << last << ", expected " << value;
}

// Reads the welcome and the confirmation every non-raw stream starts with.
::testing::AssertionResult Established(SseStream& s, const std::string& identifier = "") {
  if (s.status() != 200) {
    return ::testing::AssertionFailure() << "status " << s.status() << "\n"
                                         << s.response().head << "\n"
                                         << s.response().body;
  }
  auto welcome = s.Next();
  if (!welcome || welcome->type != "welcome") {
    return ::testing::AssertionFailure() << "no welcome: " << (welcome ? welcome->type : "none");
  }
  auto confirm = s.Next();
  if (!confirm || confirm->type != "confirm_subscription") {
    return ::testing::AssertionFailure()
           << "no confirmation: " << (confirm ? confirm->type + " " + confirm->data : "none");
  }
  if (!identifier.empty() && ParsedData(*confirm)["identifier"] != identifier) {
    return ::testing::AssertionFailure() << "confirmed " << confirm->data;
  }
  return ::testing::AssertionSuccess();
}

std::string Published(const std::string& stream, const Json& payload) {
  return Publication(stream, payload).dump();
}

// ------------------------------------------------------ the shared server

class SseTest : public SharedServerTest<SseTest> {
 public:
  static ServeOptions Options() {
    ServeOptions options = SharedServerTest::Options();
    options.args = {"--sse",
                    "--broker",
                    "memory",
                    "--public_streams",
                    "--turbo_streams",
                    "--streams_secret",
                    kStreamsSecret,
                    "--metrics_http",
                    "/metrics",
                    "--ping_interval",
                    "1"};
    return options;
  }

 protected:
  static std::unique_ptr<SseStream> Open(const std::string& request) {
    return std::make_unique<SseStream>(server().port(), request);
  }
  static std::unique_ptr<SseStream> OpenGet(const std::string& target,
                                            const std::string& extra = "") {
    return Open(SseStream::Get(target, extra));
  }
};

TEST_F(SseTest, GetAnswersWithEventStreamHeadersThenWelcomeAndConfirmation) {
  auto s = OpenGet("/events?stream=sse-headers", "Origin: http://app.example\r\n");
  ASSERT_EQ(s->status(), 200) << s->response().head;
  const auto& r = s->response();
  EXPECT_EQ(r.Header("Content-Type"), "text/event-stream; charset=utf-8");
  EXPECT_EQ(r.Header("Cache-Control"), "private, no-cache, no-store, must-revalidate, max-age=0");
  EXPECT_EQ(r.Header("X-Accel-Buffering"), "no");
  EXPECT_EQ(r.Header("Connection"), "keep-alive");
  EXPECT_EQ(r.Header("Transfer-Encoding"), "chunked");
  EXPECT_FALSE(r.Header("X-AnyCable-Version").empty());
  EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "*") << "no --allowed_origins: any";
  EXPECT_EQ(r.Header("Access-Control-Allow-Methods"), "POST, OPTIONS");
  EXPECT_EQ(r.Header("Access-Control-Allow-Credentials"), "true");

  auto welcome = s->Next();
  ASSERT_TRUE(welcome);
  EXPECT_EQ(welcome->type, "welcome");
  EXPECT_EQ(ParsedData(*welcome)["type"], "welcome");
  EXPECT_FALSE(ParsedData(*welcome).value("sid", "").empty());
  auto confirm = s->Next();
  ASSERT_TRUE(confirm);
  EXPECT_EQ(confirm->type, "confirm_subscription");
  EXPECT_EQ(ParsedData(*confirm), ConfirmMessage(PubsubIdentifier("sse-headers")));
  auto ping = s->Next(3s, /*pings=*/true);
  ASSERT_TRUE(ping) << "pings every second";
  EXPECT_EQ(ping->type, "ping");
  EXPECT_EQ(ParsedData(*ping)["type"], "ping");
}

TEST_F(SseTest, PreflightIsAnsweredAndOtherMethodsAreNotAllowed) {
  RawConnection c(server().port());
  ASSERT_TRUE(c.Send("OPTIONS /events HTTP/1.1\r\nHost: x\r\nOrigin: http://a.example\r\n\r\n"));
  auto preflight = c.ReadResponse();
  EXPECT_EQ(preflight.status, 200);
  EXPECT_EQ(preflight.Header("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(preflight.Header("Access-Control-Allow-Methods"), "POST, OPTIONS");
  ASSERT_TRUE(c.Send("PUT /events?stream=x HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(c.ReadResponse().status, 405) << "on the same keep-alive connection";
  ASSERT_TRUE(c.Send("DELETE /events HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto deleted = c.ReadResponse();
  EXPECT_EQ(deleted.status, 405);
  EXPECT_EQ(deleted.Header("Allow"), "GET, POST, OPTIONS");
}

TEST_F(SseTest, FailedAuthenticationIs401AndCookiesReachTheApplication) {
  auto rejected = OpenGet("/events?test=reasons&reason=unauthorized&stream=sse-auth");
  EXPECT_EQ(rejected->status(), 401) << rejected->response().head;
  EXPECT_FALSE(rejected->response().Header("X-AnyCable-Version").empty());
  EXPECT_TRUE(rejected->WaitForEnd()) << "the connection closes after the refusal";

  auto no_cookie = OpenGet("/events?test=cookies&stream=sse-auth");
  EXPECT_EQ(no_cookie->status(), 401);
  auto cookie = OpenGet("/events?test=cookies&stream=sse-auth", "Cookie: username=john green\r\n");
  EXPECT_TRUE(Established(*cookie, PubsubIdentifier("sse-auth")));
}

TEST_F(SseTest, MissingOrRejectedSubscriptionsAre400) {
  for (const std::string& target : std::vector<std::string>{
           "/events",
           "/events?raw=1",
           "/events?channel=" +
               Encode("Anyt::TestChannels::SubscriptionAknowledgementRejectorChannel"),
           "/events?signed_stream=" + Encode("ImNoYXQvMjAyMyI=--0000"),
           "/events?identifier=" + Encode(R"({"channel":"NoSuchChannel"})"),
           "/events?stream=x&history_since=yesterday",
       }) {
    SCOPED_TRACE(target);
    auto s = OpenGet(target);
    EXPECT_EQ(s->status(), 400) << s->response().head;
    EXPECT_EQ(s->response().Header("Access-Control-Allow-Origin"), "*");
  }
  auto bad_id = OpenGet("/events?stream=x", "Last-Event-ID: one/e/x\r\n");
  EXPECT_EQ(bad_id->status(), 400) << "an offset that is not a number";
  auto odd_id = OpenGet("/events?stream=sse-odd-id", "Last-Event-ID: whatever\r\n");
  EXPECT_TRUE(Established(*odd_id)) << "an id of another shape is ignored, as anycable-go does";
}

TEST_F(SseTest, SubscriptionComesFromTheFirstParameterGiven) {
  const std::string channel = "Anyt::TestChannels::SubscriptionAknowledgementChannel";
  auto by_channel = OpenGet("/events?channel=" + Encode(channel) + "&stream=ignored");
  EXPECT_TRUE(Established(*by_channel, Json{{"channel", channel}}.dump()));

  const std::string identifier = StreamIdentifier("sse-by-identifier");
  auto by_identifier =
      OpenGet("/events?identifier=" + Encode(identifier) + "&channel=" + Encode(channel));
  EXPECT_TRUE(Established(*by_identifier, identifier));

  const std::string signed_name =
      "ImNoYXQvMjAyMyI=--2b2e054b6413bf3bc7e8bbad2f68962aa2ba19821800c"
      "cbd8de6fd7314e8320c";
  auto by_signed = OpenGet("/events?signed_stream=" + Encode(signed_name));
  EXPECT_TRUE(Established(
      *by_signed, Json{{"channel", "$pubsub"}, {"signed_stream_name", signed_name}}.dump()));
  auto turbo = OpenGet("/events?turbo_signed_stream_name=" + Encode(signed_name));
  EXPECT_TRUE(Established(
      *turbo,
      Json{{"channel", "Turbo::StreamsChannel"}, {"signed_stream_name", signed_name}}.dump()));

  ASSERT_EQ(server().Broadcast(Published("chat/2023", {{"n", 1}})), 201);
  for (auto* s : {by_signed.get(), turbo.get()}) {
    auto event = s->Next();
    ASSERT_TRUE(event);
    EXPECT_EQ(ParsedData(*event), Json({{"n", 1}}));
  }
  ASSERT_EQ(server().Broadcast(Published("sse-by-identifier", "x")), 201);
  auto event = by_identifier->Next();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->data, "\"x\"") << "JSON data goes as JSON, a string with its quotes";
}

TEST_F(SseTest, DataEventsCarryTheMessageItsPositionAndEveryLine) {
  auto s = OpenGet("/events?stream=sse-encoding");
  ASSERT_TRUE(Established(*s));
  ASSERT_EQ(server().Broadcast(Published("sse-encoding", {{"text", "hi"}})), 201);
  auto first = s->Next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->type, "") << "data events have no event line";
  EXPECT_EQ(ParsedData(*first), Json({{"text", "hi"}})) << "only the message, for GET";
  const std::regex id("1/[A-Za-z0-9_-]+/sse-encoding");
  EXPECT_TRUE(std::regex_match(first->id, id)) << first->id;

  // A payload that is not JSON goes as its text, one data line per line.
  ASSERT_EQ(server().Broadcast(
                Json{{"stream", "sse-encoding"}, {"data", "one\ntwo\r\nthree\rfour"}}.dump()),
            201);
  auto lines = s->Next();
  ASSERT_TRUE(lines);
  EXPECT_EQ(lines->data, "one\ntwo\nthree\nfour");
  const std::string epoch = first->id.substr(2, first->id.size() - 2 - 13);
  EXPECT_NE(s->body().find("data: one\ndata: two\ndata: three\ndata: four\nid: 2/" + epoch +
                           "/sse-encoding\n\n"),
            std::string::npos)
      << s->body();
}

TEST_F(SseTest, RawModeSendsDataEventsOnly) {
  auto s = OpenGet("/events?stream=sse-raw&raw=1");
  // The head comes once the subscription is confirmed: broadcasts after it
  // arrive, and nothing else does.
  ASSERT_EQ(s->status(), 200);
  ASSERT_EQ(server().Broadcast(Published("sse-raw", {{"n", 1}})), 201);
  auto event = s->Next(kReceiveTimeout, /*pings=*/true);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->type, "");
  EXPECT_EQ(ParsedData(*event), Json({{"n", 1}}));
  EXPECT_FALSE(s->Next(1500ms, /*pings=*/true)) << "no ping within more than a ping interval";
  EXPECT_EQ(s->body().find("event:"), std::string::npos) << s->body();
}

TEST_F(SseTest, LastEventIdAndHistorySinceReplayFromTheBroker) {
  const std::string stream = "sse-resume";
  const auto since = std::time(nullptr) - 60;
  std::string last_id;
  {
    auto s = OpenGet("/events?stream=" + stream);
    ASSERT_TRUE(Established(*s));
    ASSERT_EQ(server().Broadcast(Published(stream, {{"n", 1}})), 201);
    auto first = s->Next();
    ASSERT_TRUE(first);
    last_id = first->id;
  }
  ASSERT_EQ(server().Broadcast(Published(stream, {{"n", 2}})), 201);
  ASSERT_EQ(server().Broadcast(Published(stream, {{"n", 3}})), 201);

  auto resumed = OpenGet("/events?stream=" + stream, "Last-Event-ID: " + last_id + "\r\n");
  ASSERT_TRUE(Established(*resumed));
  for (int n : {2, 3}) {
    auto event = resumed->Next();
    ASSERT_TRUE(event);
    EXPECT_EQ(ParsedData(*event), Json({{"n", n}}));
    EXPECT_EQ(event->id.substr(0, 2), std::to_string(n) + "/");
  }
  auto confirmed = resumed->Next();
  ASSERT_TRUE(confirmed);
  EXPECT_EQ(confirmed->type, "confirm_history");

  auto since_start =
      OpenGet("/events?stream=" + stream + "&history_since=" + std::to_string(since));
  ASSERT_TRUE(Established(*since_start));
  for (int n : {1, 2, 3}) {
    auto event = since_start->Next();
    ASSERT_TRUE(event);
    EXPECT_EQ(ParsedData(*event), Json({{"n", n}}));
  }
}

TEST_F(SseTest, PostSubscribesToEveryLineAndGetsWholeMessages) {
  const std::string a = PubsubIdentifier("sse-post-a"), b = StreamIdentifier("sse-post-b");
  const std::string body = SubscribeCommand(a) + "\n\n" + SubscribeCommand(b) + "\r\n";
  auto s = Open(SseStream::Post("/events", body));
  ASSERT_EQ(s->status(), 200) << s->response().body;
  auto welcome = s->Next();
  ASSERT_TRUE(welcome);
  EXPECT_EQ(welcome->type, "welcome");
  std::vector<Json> confirmations;
  for (int i = 0; i < 2; ++i) {
    auto confirm = s->Next();
    ASSERT_TRUE(confirm);
    confirmations.push_back(ParsedData(*confirm));
  }
  EXPECT_EQ(confirmations, (std::vector<Json>{ConfirmMessage(a), ConfirmMessage(b)}));
  ASSERT_EQ(server().Broadcast(Published("sse-post-b", {{"n", 1}})), 201);
  auto event = s->Next();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->type, "");
  const Json message = ParsedData(*event);
  EXPECT_TRUE(MatchesSubset(message, DataMessage(b, {{"n", 1}}))) << message.dump();
  EXPECT_EQ(message["stream_id"], "sse-post-b") << "the whole message, position included";
  EXPECT_FALSE(event->id.empty());
}

TEST_F(SseTest, PostBodiesThatAreNotAllGoodSubscribesAre400) {
  const std::string rejected = AnytIdentifier("SubscriptionAknowledgementRejectorChannel");
  for (const std::string& body : std::vector<std::string>{
           SubscribeCommand(PubsubIdentifier("sse-p1")) + "\n" + SubscribeCommand(rejected),
           SubscribeCommand(PubsubIdentifier("sse-p2")) + "\nnot json",
           PerformCommand(PubsubIdentifier("sse-p3"), {{"action", "x"}}),
           SubscribeCommand(PubsubIdentifier("sse-p4")) + "\n" +
               SubscribeCommand(PubsubIdentifier("sse-p4")),
       }) {
    SCOPED_TRACE(body);
    auto s = Open(SseStream::Post("/events", body));
    EXPECT_EQ(s->status(), 400) << s->response().head;
  }
  std::string many;
  for (int i = 0; i < 101; ++i)
    many += SubscribeCommand(PubsubIdentifier(std::to_string(i))) + "\n";
  EXPECT_EQ(Open(SseStream::Post("/events", many))->status(), 400) << "more than 100 commands";
}

TEST_F(SseTest, OversizedBodiesAre413BeforeTheyAreRead) {
  RawConnection announced(server().port());
  ASSERT_TRUE(announced.Send("POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\n\r\n"));
  auto early = announced.ReadResponse();
  EXPECT_EQ(early.status, 413) << "answered from the headers, no body sent";

  RawConnection chunked(server().port());
  ASSERT_TRUE(
      chunked.Send("POST /events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  const std::string chunk(16 * 1024, ' ');
  char size[16];
  std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
  for (int i = 0; i < 5; ++i) chunked.SendSome(size + chunk + "\r\n", 2s);
  auto late = chunked.ReadResponse();
  EXPECT_EQ(late.status, 413) << "a chunked body stops at 64 KiB";
  EXPECT_EQ(HttpGet(server().port(), "/health"), 200);
}

TEST_F(SseTest, HugeQueryIsRefusedAndOthersAreServed) {
  auto healthy = OpenGet("/events?stream=sse-huge-bystander");
  ASSERT_TRUE(Established(*healthy));
  auto huge = OpenGet("/events?stream=" + std::string(64 * 1024, 'x'));
  EXPECT_EQ(huge->status(), 431);
  ASSERT_EQ(server().Broadcast(Published("sse-huge-bystander", "still here")), 201);
  auto event = healthy->Next();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->data, "\"still here\"");
}

TEST_F(SseTest, RemoteDisconnectWithoutReconnectAddsRetryAndEndsTheStream) {
  auto s = OpenGet("/events?test=uid&uid=sse-remote&stream=sse-remote");
  ASSERT_TRUE(Established(*s));
  ASSERT_EQ(
      server().Broadcast(
          R"({"command":"disconnect","payload":{"identifier":"{\"uid\":\"sse-remote\"}","reconnect":false}})"),
      201);
  auto event = s->Next();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->type, "disconnect");
  EXPECT_EQ(ParsedData(*event), DisconnectMessage("remote", false));
  EXPECT_EQ(event->retry, "31536000000");
  EXPECT_TRUE(s->WaitForEnd()) << "the last chunk ends the response";
}

TEST_F(SseTest, ClosingAStreamMakesTheDisconnectCall) {
  // The backend's unsubscribe callback (run from the Disconnect call)
  // broadcasts to the channel's stream, which a WebSocket client watches.
  ASSERT_CONNECTED(watcher, ConnectWelcomed(server()));
  const auto channel_state = [](const std::string& name) {
    return AnytIdentifier("ChannelStateChannel", {{"name", name}});
  };
  ASSERT_TRUE(Subscribes(watcher, channel_state("sse-watcher")));
  auto s = OpenGet("/events?identifier=" + Encode(channel_state("sse-leaver")));
  ASSERT_TRUE(Established(*s));
  s->Close();
  EXPECT_TRUE(ReceivesMessage(
      watcher, DataMessage(channel_state("sse-watcher"), {{"data", "user left: sse-leaver"}})));
}

TEST_F(SseTest, AnsweredStreamsAreCountedInSseClientsNum) {
  ASSERT_TRUE(MetricBecomes(server().port(), "sse_clients_num", 0));
  std::vector<std::unique_ptr<SseStream>> streams;
  for (int i = 0; i < 3; ++i) {
    streams.push_back(OpenGet("/events?stream=sse-gauge"));
    ASSERT_TRUE(Established(*streams.back()));
  }
  auto refused = OpenGet("/events?test=reasons&reason=unauthorized&stream=sse-gauge");
  EXPECT_EQ(refused->status(), 401);
  EXPECT_TRUE(MetricBecomes(server().port(), "sse_clients_num", 3)) << "refusals do not count";
  streams.clear();
  EXPECT_TRUE(MetricBecomes(server().port(), "sse_clients_num", 0));
}

// ------------------------------------------------------------------ JWT

TEST(SseJwt, TokensFromTheQueryOrTheHeaderAreRequired) {
  const auto& v = AuthVectors()["jwt"][0];
  ServeOptions options;
  options.backend.clear();
  options.args = {"--sse",        "--norpc",   "--public_streams",
                  "--jwt_secret", v["secret"], "--enforce_jwt"};
  CableServer server(options);
  const std::string token = v["token"];
  EXPECT_EQ(SseStream(server.port(), SseStream::Get("/events?stream=jwt")).status(), 401);
  EXPECT_EQ(SseStream(server.port(), SseStream::Get("/events?stream=jwt&jid=not-a-jwt")).status(),
            401);
  SseStream by_param(server.port(), SseStream::Get("/events?stream=jwt&jid=" + token));
  EXPECT_TRUE(Established(by_param));
  SseStream by_header(server.port(),
                      SseStream::Get("/events?stream=jwt", "X-JID: " + token + "\r\n"));
  EXPECT_TRUE(Established(by_header));
}

TEST(SseCors, AllowedOriginsAreEchoedOthersGetNoCorsOrigin) {
  ServeOptions options;
  options.backend.clear();
  options.args = {"--sse", "--public", "--allowed_origins", "*.example.com"};
  CableServer server(options);
  SseStream allowed(server.port(),
                    SseStream::Get("/events?stream=cors", "Origin: https://app.example.com\r\n"));
  EXPECT_TRUE(Established(allowed));
  EXPECT_EQ(allowed.response().Header("Access-Control-Allow-Origin"), "https://app.example.com");
  SseStream other(server.port(),
                  SseStream::Get("/events?stream=cors", "Origin: https://evil.test\r\n"));
  EXPECT_TRUE(Established(other)) << "as anycable-go: CORS is the browser's to enforce";
  EXPECT_EQ(other.response().head.find("Access-Control-Allow-Origin"), std::string::npos);
  RawConnection preflight(server.port());
  ASSERT_TRUE(
      preflight.Send("OPTIONS /events HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.test\r\n\r\n"));
  auto r = preflight.ReadResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "");
}

// ------------------------------------------------- shutdown, TLS, load

TEST(SseShutdown, StreamsGetServerRestartAndEnd) {
  ServeOptions options;
  options.backend.clear();
  options.args = {"--sse", "--public"};
  CableServer server(options);
  SseStream s(server.port(), SseStream::Get("/events?stream=bye"));
  ASSERT_TRUE(Established(s));
  server.process().Signal(SIGTERM);
  auto event = s.Next();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->type, "disconnect");
  EXPECT_EQ(ParsedData(*event), DisconnectMessage("server_restart", true));
  EXPECT_EQ(event->retry, "") << "EventSource may come back (to another node)";
  EXPECT_TRUE(s.WaitForEnd());
  EXPECT_TRUE(server.process().Wait(10s).has_value());
}

TEST(SseTls, StreamsWorkOverTls) {
  ServeOptions options;
  options.backend.clear();
  options.args = TlsArgs();
  options.args.insert(options.args.end(), {"--sse", "--public"});
  CableServer server(options);
  SseStream s(server.port(), SseStream::Get("/events?stream=tls-sse"), /*tls=*/true);
  ASSERT_TRUE(Established(s, PubsubIdentifier("tls-sse")));
  SseStream publish(server.broadcast_port(),
                    SseStream::Post("/_broadcast", Published("tls-sse", {{"secure", true}})),
                    /*tls=*/true);
  ASSERT_EQ(publish.status(), 201);
  auto event = s.Next();
  ASSERT_TRUE(event);
  EXPECT_EQ(ParsedData(*event), Json({{"secure", true}}));
}

class SseLoadTest : public SharedServerTest<SseLoadTest> {
 public:
  static ServeOptions Options() {
    ServeOptions options;
    options.backend.clear();
    options.args = {"--sse", "--public", "--metrics_http", "/metrics", "--ws_max_pending_size",
                    "131072"};
    return options;
  }
};

TEST_F(SseLoadTest, AClientThatNeverReadsIsDroppedAndOthersKeepTheirEvents) {
  auto slow = std::make_unique<SseStream>(server().port(), SseStream::Get("/events?stream=flood"));
  ASSERT_TRUE(Established(*slow));
  auto fast = std::make_unique<SseStream>(server().port(), SseStream::Get("/events?stream=flood"));
  ASSERT_TRUE(Established(*fast));
  const std::string payload(32 * 1024, 'x');
  constexpr int kBroadcasts = 300;  // far more than socket buffers hold
  for (int i = 0; i < kBroadcasts; ++i) {
    ASSERT_EQ(server().Broadcast(Published("flood", payload + std::to_string(i))), 201);
    auto event = fast->Next();
    ASSERT_TRUE(event) << i;
    ASSERT_TRUE(event->data == Json(payload + std::to_string(i)).dump()) << i;
  }
  // The slow one is told, after whatever whole events fit, and its stream ends.
  int received = 0;
  std::optional<SseEvent> event;
  while ((event = slow->Next()) && event->type.empty()) ++received;
  ASSERT_TRUE(event);
  EXPECT_EQ(event->type, "disconnect");
  EXPECT_EQ(ParsedData(*event), DisconnectMessage("too_slow", true));
  EXPECT_LT(received, kBroadcasts);
  EXPECT_TRUE(slow->WaitForEnd());
  std::string metrics;
  ASSERT_EQ(HttpGet(server().port(), "/metrics", &metrics), 200);
  EXPECT_GE(MetricValue(metrics, "disconnected_slow_clients_total"), 1);
}

TEST_F(SseLoadTest, ManyStreamsAreServedAtOnce) {
  constexpr int kStreams = 300;
  std::vector<std::unique_ptr<SseStream>> streams;
  for (int i = 0; i < kStreams; ++i) {
    streams.push_back(
        std::make_unique<SseStream>(server().port(), SseStream::Get("/events?stream=crowd")));
    ASSERT_TRUE(Established(*streams.back())) << i;
  }
  ASSERT_TRUE(MetricBecomes(server().port(), "sse_clients_num", kStreams));
  ASSERT_CONNECTED(ws_client, ConnectWelcomed(server()));
  ASSERT_TRUE(Subscribes(ws_client, PubsubIdentifier("crowd")));
  ASSERT_EQ(server().Broadcast(Published("crowd", {{"all", true}})), 201);
  for (int i = 0; i < kStreams; ++i) {
    auto event = streams[i]->Next();
    ASSERT_TRUE(event) << i;
    EXPECT_EQ(ParsedData(*event), Json({{"all", true}}));
  }
  EXPECT_TRUE(ReceivesMessage(ws_client, DataMessage(PubsubIdentifier("crowd"), {{"all", true}})))
      << "WebSocket subscribers of the stream get their own frames";
  streams.clear();
  EXPECT_TRUE(MetricBecomes(server().port(), "sse_clients_num", 0));
}

// -------------------------------------------- a real EventSource (Node)

// tests/node/sse.mjs: identified by a JWT in the query, a broadcast over
// HTTP, then a remote disconnect with reconnect:true; EventSource comes back
// on its own with Last-Event-ID and gets what was published meanwhile from
// the memory broker's history.
class SseEventSourceTest : public NodeScriptTest {};

TEST_F(SseEventSourceTest, ReconnectsWithLastEventIdAndGetsWhatItMissed) {
  const auto& v = AuthVectors()["jwt"][0];
  ServeOptions options;
  options.backend.clear();
  options.args = {"--sse",        "--norpc",   "--public_streams", "--broker",    "memory",
                  "--jwt_secret", v["secret"], "--enforce_jwt",    "--log_level", "debug"};
  CableServer server(options);
  const std::string stream = "eventsource/1";
  constexpr int kTimeoutS = 30;
  Json s = RunNodeScript(
      {"node", SourcePath("tests/node/sse.mjs"), "--port", std::to_string(server.port()),
       "--broadcast", std::to_string(server.broadcast_port()), "--stream", stream, "--token",
       v["token"], "--identifiers", v["identifiers"], "--timeout", std::to_string(kTimeoutS)},
      std::chrono::seconds(kTimeoutS), {&server});
  ASSERT_TRUE(s.is_object());
  EXPECT_EQ(s["outcome"], "done");
  EXPECT_EQ(s["opens"], 2) << "one reconnection, by EventSource itself";
  ASSERT_EQ(s["messages"].size(), 2u);
  EXPECT_EQ(s["messages"][0]["data"], Json({{"n", 1}}));
  EXPECT_EQ(s["messages"][1]["data"], Json({{"n", 2}}));
  const std::string first_id = s["messages"][0]["id"];
  const std::regex position("1/[A-Za-z0-9_-]+/" + stream);
  EXPECT_TRUE(std::regex_match(first_id, position)) << first_id;
  EXPECT_EQ(s["messages"][1]["id"], "2" + first_id.substr(1)) << "the same epoch, the next offset";
  EXPECT_EQ(s["last_event_id_headers"], Json::array({nullptr, first_id}))
      << "the reconnection carried the last id it saw";
  Json disconnect;
  for (const auto& e : s["events"]) {
    if (e["type"] == "disconnect") disconnect = e["data"];
  }
  EXPECT_EQ(disconnect, DisconnectMessage("remote", true));
}

}  // namespace
}  // namespace cable::testing
