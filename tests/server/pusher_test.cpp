// The Pusher protocol through the real `cable serve` (spec §11.4), over raw
// WebSockets and HTTP: the /app/<key> endpoint and its
// connection_established, client pings, public, private and presence
// channels with their signatures, client events, member_added/removed,
// broadcasts as Pusher events, the signed REST API (events, channel users)
// on the main port and on --pusher_api_port, and bad input of every kind.
// The expected JSON shapes are anycable-go's (pusher/encoder.go).

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <chrono>
#include <regex>

#include "server/raw_http.h"
#include "server/server_test_helpers.h"

namespace cable::testing {
namespace {

constexpr const char* kAppId = "my-test-id";
constexpr const char* kAppKey = "ballard";
constexpr const char* kSecret = "oaugc1";

std::string Target() {
  return std::string("/app/") + kAppKey + "?protocol=7&client=js&version=8.4.0";
}

// `app_key:hex(HMAC-SHA256(secret, text))`, as a Pusher auth endpoint signs.
std::string ChannelAuth(const std::string& text, const std::string& secret = kSecret) {
  return std::string(kAppKey) + ":" + HmacSha256Hex(secret, text);
}

std::string Md5Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_md5(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A REST request signed as Pusher's server SDKs sign it: the query without
// auth_signature, sorted, after "METHOD\npath\n".
std::string SignedTarget(const std::string& method, const std::string& path,
                         const std::string& body, int64_t timestamp = Now(),
                         const std::string& secret = kSecret) {
  std::string query = std::string("auth_key=") + kAppKey +
                      "&auth_timestamp=" + std::to_string(timestamp) + "&auth_version=1.0";
  if (method == "POST") query += "&body_md5=" + Md5Hex(body);
  const std::string signature = HmacSha256Hex(secret, method + "\n" + path + "\n" + query);
  return path + "?" + query + "&auth_signature=" + signature;
}

RawResponse Request(int port, const std::string& method, const std::string& target,
                    const std::string& body = {}) {
  RawConnection c(port);
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (method == "POST") {
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  if (!c.ok() || !c.Send(req)) {
    RawResponse failed;
    failed.error = "send failed";
    return failed;
  }
  return c.ReadResponse();
}

RawResponse TriggerEvent(int port, const Json& event, int64_t timestamp = Now()) {
  const std::string body = event.dump();
  const std::string path = std::string("/apps/") + kAppId + "/events";
  return Request(port, "POST", SignedTarget("POST", path, body, timestamp), body);
}

Json Subscribe(const std::string& channel, const std::string& auth = {},
               const std::string& channel_data = {}) {
  Json data = {{"channel", channel}};
  if (!auth.empty()) data["auth"] = auth;
  if (!channel_data.empty()) data["channel_data"] = channel_data;
  return {{"event", "pusher:subscribe"}, {"data", data}};
}

Json Succeeded(const std::string& channel) {
  return {{"event", "pusher_internal:subscription_succeeded"}, {"channel", channel}};
}

const Json kRejected = {{"event", "pusher:error"},
                        {"data", {{"message", "rejected"}, {"code", 4009}}}};
const Json kPong = {{"event", "pusher:pong"}};

// A Pusher client after connection_established; `socket_id` is filled.
struct PusherClient {
  ws::Client ws;
  std::string socket_id;
};

Result<PusherClient> ConnectPusher(const CableServer& server,
                                   std::vector<std::pair<std::string, std::string>> headers = {}) {
  auto ws = server.Connect(Target(), std::move(headers), {});
  if (!ws.ok()) return ws.error();
  auto hello = NextMessage(*ws);
  if (!hello.ok()) return hello.error();
  if ((*hello)["event"] != "pusher:connection_established" || !(*hello)["data"].is_string()) {
    return Error{"unexpected", hello->dump()};
  }
  Json data = Json::parse((*hello)["data"].get<std::string>(), nullptr, false);
  if (!data.is_object() || !data["socket_id"].is_string()) {
    return Error{"unexpected", hello->dump()};
  }
  return PusherClient{std::move(*ws), data["socket_id"]};
}

#define CONNECT_PUSHER(var, ...)                                  \
  auto var##_result = ConnectPusher(__VA_ARGS__);                 \
  ASSERT_TRUE(var##_result.ok()) << var##_result.error().message; \
  PusherClient& var = *var##_result

// Sends `message` and expects `reply` next.
::testing::AssertionResult Answers(PusherClient& c, const Json& message, const Json& reply) {
  if (auto s = c.ws.SendText(message.dump()); !s.ok()) {
    return ::testing::AssertionFailure() << s.error().message;
  }
  return ReceivesMessage(c.ws, reply);
}

// Commands run in order: once pusher:ping is answered, everything sent
// before it has been applied.
::testing::AssertionResult Settled(PusherClient& c) {
  return Answers(c, {{"event", "pusher:ping"}, {"data", Json::object()}}, kPong);
}

::testing::AssertionResult SubscribesTo(PusherClient& c, const std::string& channel,
                                        const std::string& auth = {},
                                        const std::string& channel_data = {}) {
  return Answers(c, Subscribe(channel, auth, channel_data), Succeeded(channel));
}

class PusherTest : public SharedServerTest<PusherTest> {
 public:
  static ServeOptions Options() {
    ServeOptions options;
    options.backend.clear();
    options.args = {"--norpc",
                    "--noauth",
                    "--pusher_app_id",
                    kAppId,
                    "--pusher_app_key",
                    kAppKey,
                    "--pusher_secret",
                    kSecret,
                    "--broker",
                    "memory",
                    "--ping_interval",
                    "1",
                    "--max_message_size",
                    "4096",
                    "--log_level",
                    "debug"};
    return options;
  }
};

// ------------------------------------------------------------- connecting

TEST_F(PusherTest, ConnectionEstablishedCarriesSocketIdAndActivityTimeout) {
  auto ws = server().Connect(Target(), {}, {});
  ASSERT_TRUE(ws.ok()) << ws.error().message;
  EXPECT_EQ(ws->subprotocol(), "");
  auto hello = NextMessage(*ws);
  ASSERT_TRUE(hello.ok()) << hello.error().message;
  EXPECT_EQ((*hello)["event"], "pusher:connection_established");
  // `data` is a JSON string, as Pusher sends it.
  ASSERT_TRUE((*hello)["data"].is_string()) << hello->dump();
  Json data = Json::parse((*hello)["data"].get<std::string>());
  EXPECT_EQ(data["activity_timeout"], 30);
  const std::string socket_id = data["socket_id"];
  std::smatch m;
  ASSERT_TRUE(std::regex_match(socket_id, m, std::regex(R"((\d+)\.(\d{1,6}))"))) << socket_id;
  EXPECT_NEAR(std::stoll(m[1]), Now(), 5);
}

TEST_F(PusherTest, SocketIdComesFromRequestIdOnlyInPusherForm) {
  CONNECT_PUSHER(kept, server(), {{"X-Request-ID", "2025.1234"}});
  EXPECT_EQ(kept.socket_id, "2025.1234");
  CONNECT_PUSHER(drawn, server(), {{"X-Request-ID", "not-a-socket-id"}});
  EXPECT_NE(drawn.socket_id, "not-a-socket-id");
  EXPECT_TRUE(std::regex_match(drawn.socket_id, std::regex(R"(\d+\.\d{1,6})"))) << drawn.socket_id;
}

TEST_F(PusherTest, WrongAppKeyIsNotFound) {
  auto ws = server().Connect("/app/someone-else", {}, {});
  ASSERT_FALSE(ws.ok());
  EXPECT_EQ(ws.error().code, "http_404");
  auto prefix = server().Connect(std::string("/app/") + kAppKey + "x", {}, {});
  EXPECT_FALSE(prefix.ok());
}

// Pusher clients ping the server; the server sends no pings of its own
// (the server pings every second here, Action Cable clients get them).
TEST_F(PusherTest, ClientPingsAreAnsweredAndServerSendsNoPings) {
  CONNECT_PUSHER(c, server());
  EXPECT_TRUE(Settled(c));
  auto next = NextMessage(c.ws, std::chrono::milliseconds(1700), Skip::kNothing);
  EXPECT_TRUE(!next.ok() && next.error().IsTimeout())
      << (next.ok() ? next->dump() : next.error().message);
  // An Action Cable client of the same server is pinged within that time.
  auto cable = ConnectWelcomed(server());
  ASSERT_TRUE(cable.ok()) << cable.error().message;
  EXPECT_TRUE(
      ReceivesMessage(*cable, {{"type", "ping"}}, std::chrono::milliseconds(1700), Skip::kNothing));
  // pusher:pong from the client is accepted silently.
  ASSERT_TRUE(c.ws.SendText(R"({"event":"pusher:pong","data":{}})").ok());
  EXPECT_TRUE(Settled(c));
}

// ------------------------------------------------------------ public channels

TEST_F(PusherTest, PublicChannelReceivesBroadcastsAsPusherEvents) {
  CONNECT_PUSHER(c, server());
  ASSERT_TRUE(c.ws.SendText(Subscribe("news").dump()).ok());
  auto ok = NextMessage(c.ws);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(*ok, Json({{"event", "pusher_internal:subscription_succeeded"},
                       {"data", "{}"},
                       {"channel", "news"}}));
  // Data without an event has no Pusher form: it is not delivered.
  ASSERT_EQ(server().Broadcast(Publication("news", {{"text", "no event"}}).dump()), 201);
  ASSERT_EQ(server().Broadcast(
                Publication("news", {{"event", "flash"}, {"data", {{"text", "hi"}}}}).dump()),
            201);
  auto event = NextMessage(c.ws);
  ASSERT_TRUE(event.ok()) << event.error().message;
  EXPECT_EQ(*event, Json({{"event", "flash"}, {"data", {{"text", "hi"}}}, {"channel", "news"}}));
}

TEST_F(PusherTest, UnsubscribedChannelReceivesNothingMore) {
  CONNECT_PUSHER(c, server());
  ASSERT_TRUE(SubscribesTo(c, "leaving"));
  ASSERT_TRUE(c.ws.SendText(R"({"event":"pusher:unsubscribe","data":{"channel":"leaving"}})").ok());
  ASSERT_TRUE(Settled(c));
  ASSERT_EQ(server().Broadcast(Publication("leaving", {{"event", "late"}}).dump()), 201);
  EXPECT_TRUE(ReceivesNothing(c.ws));
  // Subscribing again works (the subscription was really gone).
  EXPECT_TRUE(SubscribesTo(c, "leaving"));
}

// ----------------------------------------------------------- private channels

TEST_F(PusherTest, PrivateChannelNeedsTheSignatureOfThisSocket) {
  CONNECT_PUSHER(c, server());
  CONNECT_PUSHER(other, server());
  const std::string ch = "private-room";
  EXPECT_TRUE(Answers(c, Subscribe(ch), kRejected));
  EXPECT_TRUE(Answers(c, Subscribe(ch, ChannelAuth(c.socket_id + ":" + ch, "wrong")), kRejected));
  // Another socket's valid signature is not this socket's.
  EXPECT_TRUE(Answers(c, Subscribe(ch, ChannelAuth(other.socket_id + ":" + ch)), kRejected));
  EXPECT_TRUE(Answers(c, Subscribe(ch, ChannelAuth(c.socket_id + ":private-other")), kRejected));
  // A rejected subscription receives nothing.
  ASSERT_EQ(server().Broadcast(Publication(ch, {{"event", "secret"}}).dump()), 201);
  EXPECT_TRUE(ReceivesNothing(c.ws));
  EXPECT_TRUE(SubscribesTo(c, ch, ChannelAuth(c.socket_id + ":" + ch)));
  ASSERT_EQ(server().Broadcast(Publication(ch, {{"event", "secret"}}).dump()), 201);
  EXPECT_TRUE(ReceivesMessage(c.ws, {{"event", "secret"}, {"channel", ch}}));
}

// An Action Cable client cannot reach a private Pusher channel through
// the internal channel name.
TEST_F(PusherTest, ActionCableClientsCannotSubscribeToPusherChannels) {
  auto cable = ConnectWelcomed(server());
  ASSERT_TRUE(cable.ok()) << cable.error().message;
  const std::string id = R"({"channel":"$pusher","stream":"private-room"})";
  ASSERT_TRUE(cable->SendText(SubscribeCommand(id)).ok());
  EXPECT_TRUE(ReceivesMessage(*cable, RejectMessage(id)));
}

TEST_F(PusherTest, ClientEventsReachTheOtherSubscribersOfPrivateChannels) {
  CONNECT_PUSHER(a, server());
  CONNECT_PUSHER(b, server());
  const std::string ch = "private-chat";
  ASSERT_TRUE(SubscribesTo(a, ch, ChannelAuth(a.socket_id + ":" + ch)));
  ASSERT_TRUE(SubscribesTo(b, ch, ChannelAuth(b.socket_id + ":" + ch)));
  const Json event = {{"event", "client-typing"},
                      {"channel", ch},
                      {"data", {{"body", "funeral_without_applause"}}}};
  ASSERT_TRUE(a.ws.SendText(event.dump()).ok());
  auto got = NextMessage(b.ws);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, event);
  // The sender does not get its own event back.
  EXPECT_TRUE(Settled(a));

  // On a public channel client events go nowhere.
  ASSERT_TRUE(SubscribesTo(a, "lobby"));
  ASSERT_TRUE(SubscribesTo(b, "lobby"));
  ASSERT_TRUE(a.ws.SendText(Json({{"event", "client-x"}, {"channel", "lobby"}}).dump()).ok());
  EXPECT_TRUE(Settled(a));
  EXPECT_TRUE(Settled(b));
}

// ---------------------------------------------------------- presence channels

TEST_F(PusherTest, PresenceChannelListsMembersAndAnnouncesThem) {
  CONNECT_PUSHER(first, server());
  CONNECT_PUSHER(second, server());
  const std::string ch = "presence-team";
  const std::string vova = R"({"user_id":"312","user_info":{"name":"Vova"}})";
  const std::string lolo = R"({"user_id":"42","user_info":{"name":"Lolo"}})";

  // channel_data is signed too: another member's data does not verify.
  EXPECT_TRUE(Answers(
      first, Subscribe(ch, ChannelAuth(first.socket_id + ":" + ch + ":" + lolo), vova), kRejected));

  ASSERT_TRUE(
      first.ws
          .SendText(
              Subscribe(ch, ChannelAuth(first.socket_id + ":" + ch + ":" + vova), vova).dump())
          .ok());
  auto one = NextMessage(first.ws);
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ(
      *one,
      Json({{"event", "pusher_internal:subscription_succeeded"},
            {"data", R"({"presence":{"count":1,"ids":["312"],"hash":{"312":{"name":"Vova"}}}})"},
            {"channel", ch}}));
  // Every subscriber hears of a join, the member itself included (anycable-go).
  EXPECT_TRUE(
      ReceivesMessage(first.ws, {{"event", "pusher_internal:member_added"},
                                 {"channel", ch},
                                 {"data", R"({"user_id":"312","user_info":{"name":"Vova"}})"}}));

  ASSERT_TRUE(
      second.ws
          .SendText(
              Subscribe(ch, ChannelAuth(second.socket_id + ":" + ch + ":" + lolo), lolo).dump())
          .ok());
  EXPECT_TRUE(ReceivesMessage(
      second.ws,
      {{"event", "pusher_internal:subscription_succeeded"},
       {"data",
        R"({"presence":{"count":2,"ids":["312","42"],"hash":{"312":{"name":"Vova"},"42":{"name":"Lolo"}}}})"}}));
  EXPECT_TRUE(
      ReceivesMessage(first.ws, {{"event", "pusher_internal:member_added"},
                                 {"channel", ch},
                                 {"data", R"({"user_id":"42","user_info":{"name":"Lolo"}})"}}));

  // The REST API lists both.
  const std::string users = std::string("/apps/") + kAppId + "/channels/" + ch + "/users";
  auto listed = Request(server().port(), "GET", SignedTarget("GET", users, ""));
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(listed.Header("Content-Type"), "application/json");
  EXPECT_EQ(Json::parse(listed.body), Json::parse(R"({"users":[{"id":"312"},{"id":"42"}]})"));

  ASSERT_TRUE(
      second.ws
          .SendText(Json({{"event", "pusher:unsubscribe"}, {"data", {{"channel", ch}}}}).dump())
          .ok());
  EXPECT_TRUE(ReceivesMessage(first.ws, {{"event", "pusher_internal:member_removed"},
                                         {"channel", ch},
                                         {"data", R"({"user_id":"42"})"}}));
  listed = Request(server().port(), "GET", SignedTarget("GET", users, ""));
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(Json::parse(listed.body), Json::parse(R"({"users":[{"id":"312"}]})"));
}

TEST_F(PusherTest, PresenceChannelDataMustNameAUser) {
  CONNECT_PUSHER(c, server());
  const std::string ch = "presence-nobody";
  const std::string data = R"({"user_info":{"name":"anonymous"}})";
  EXPECT_TRUE(
      Answers(c, Subscribe(ch, ChannelAuth(c.socket_id + ":" + ch + ":" + data), data), kRejected));
}

// ---------------------------------------------------------------- REST API

TEST_F(PusherTest, SignedEventsReachTheirChannels) {
  CONNECT_PUSHER(c, server());
  ASSERT_TRUE(SubscribesTo(c, "orders"));
  ASSERT_TRUE(SubscribesTo(c, "stock"));
  auto r = TriggerEvent(server().port(),
                        {{"name", "placed"}, {"channel", "orders"}, {"data", R"({"id":1})"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "{}");
  auto got = NextMessage(c.ws);
  ASSERT_TRUE(got.ok()) << got.error().message;
  // The data stays the string the publisher sent.
  EXPECT_EQ(*got, Json({{"event", "placed"}, {"data", R"({"id":1})"}, {"channel", "orders"}}));

  r = TriggerEvent(server().port(),
                   {{"name", "tick"}, {"channels", {"orders", "stock"}}, {"data", "1"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(ReceivesMessagesInAnyOrder(c.ws, {{{"event", "tick"}, {"channel", "orders"}},
                                                {{"event", "tick"}, {"channel", "stock"}}}));
}

TEST_F(PusherTest, EventsSkipTheSocketNamedBySocketId) {
  CONNECT_PUSHER(sender, server());
  CONNECT_PUSHER(other, server());
  ASSERT_TRUE(SubscribesTo(sender, "feed"));
  ASSERT_TRUE(SubscribesTo(other, "feed"));
  auto r = TriggerEvent(
      server().port(),
      {{"name", "echo"}, {"channel", "feed"}, {"data", "{}"}, {"socket_id", sender.socket_id}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(ReceivesMessage(other.ws, {{"event", "echo"}}));
  EXPECT_TRUE(Settled(sender));
}

TEST_F(PusherTest, UnsignedOrForgedRequestsAreRefused) {
  CONNECT_PUSHER(c, server());
  ASSERT_TRUE(SubscribesTo(c, "guarded"));
  const std::string path = std::string("/apps/") + kAppId + "/events";
  const std::string body = R"({"name":"forged","channel":"guarded","data":"{}"})";
  // No signature at all; a wrong secret; a stale timestamp.
  EXPECT_EQ(Request(server().port(), "POST", path, body).status, 401);
  EXPECT_EQ(Request(server().port(), "POST", SignedTarget("POST", path, body, Now(), "wrong"), body)
                .status,
            401);
  EXPECT_EQ(
      Request(server().port(), "POST", SignedTarget("POST", path, body, Now() - 700), body).status,
      401);
  // A valid signature over another body (body_md5 covers it).
  EXPECT_EQ(Request(server().port(), "POST", SignedTarget("POST", path, "{}"), body).status, 401);
  // A signature for GET does not sign a POST.
  auto get_signed = SignedTarget("GET", path, "");
  EXPECT_EQ(Request(server().port(), "POST", get_signed, body).status, 401);
  EXPECT_TRUE(ReceivesNothing(c.ws));
}

// The signature is checked from the request line: an unsigned request's
// body is never read, so it is answered before the body is sent.
TEST_F(PusherTest, UnsignedRequestIsAnsweredBeforeItsBody) {
  RawConnection c(server().port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send(std::string("POST /apps/") + kAppId +
                     "/events?auth_key=k HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"));
  auto r = c.ReadResponse();
  EXPECT_EQ(r.status, 401) << r.error;
}

TEST_F(PusherTest, RestApiAnswersOnlyItsEndpoints) {
  const std::string base = std::string("/apps/") + kAppId;
  // Not an event: 422.
  auto bad = Request(server().port(), "POST", SignedTarget("POST", base + "/events", "[1]"), "[1]");
  EXPECT_EQ(bad.status, 422);
  const std::string no_channel = R"({"name":"x","data":"{}"})";
  EXPECT_EQ(Request(server().port(), "POST", SignedTarget("POST", base + "/events", no_channel),
                    no_channel)
                .status,
            422);
  // Batches are not supported (as in anycable-go): not found.
  const std::string batch = R"({"batch":[]})";
  EXPECT_EQ(
      Request(server().port(), "POST", SignedTarget("POST", base + "/batch_events", batch), batch)
          .status,
      404);
  // Users of non-presence channels: 400.
  EXPECT_EQ(Request(server().port(), "GET", SignedTarget("GET", base + "/channels/news/users", ""))
                .status,
            400);
  // Another app id is not served.
  EXPECT_EQ(Request(server().port(), "GET",
                    SignedTarget("GET", "/apps/other/channels/presence-x/users", ""))
                .status,
            404);
  EXPECT_EQ(Request(server().port(), "DELETE", SignedTarget("GET", base + "/events", "")).status,
            422);
}

// ---------------------------------------------------------------- bad input

TEST_F(PusherTest, MalformedMessagesAreAnsweredWithErrorsAndTheSessionGoesOn) {
  CONNECT_PUSHER(c, server());
  for (const std::string& bad :
       {std::string("not json"), std::string("[1,2]"), std::string(R"({"event":42})"),
        std::string(R"({"event":"pusher:subscribe"})"),
        std::string(R"({"event":"pusher:subscribe","data":"news"})"),
        std::string(R"({"event":"pusher:unsubscribe","data":{}})"),
        std::string(R"({"event":"client-x","data":{}})"),
        std::string(R"({"event":"pusher:signin"})"), std::string(2000, '[')}) {
    ASSERT_TRUE(c.ws.SendText(bad).ok());
    auto reply = NextMessage(c.ws);
    ASSERT_TRUE(reply.ok()) << bad << ": " << reply.error().message;
    EXPECT_EQ((*reply)["event"], "pusher:error") << bad;
    EXPECT_EQ((*reply)["data"]["code"], 4200) << bad;
    EXPECT_TRUE((*reply)["data"]["message"].is_string()) << bad;
  }
  // An over-long channel name is refused like an unauthorized one.
  EXPECT_TRUE(Answers(c, Subscribe(std::string(300, 'a')), kRejected));
  EXPECT_TRUE(SubscribesTo(c, "still-working"));
}

TEST_F(PusherTest, OversizedMessageClosesOnlyThatConnection) {
  CONNECT_PUSHER(big, server());
  CONNECT_PUSHER(bystander, server());
  ASSERT_TRUE(big.ws
                  .SendText(Json({{"event", "client-x"},
                                  {"channel", "private-x"},
                                  {"data", std::string(5000, 'x')}})
                                .dump())
                  .ok());
  EXPECT_TRUE(ReceivesClose(big.ws, 1009));
  EXPECT_TRUE(Settled(bystander));
}

// ------------------------------------------------------ dedicated API port

TEST(PusherApiPortTest, RestApiMovesToItsOwnPort) {
  const int api_port = FreePort();
  ServeOptions options;
  options.backend.clear();
  options.args = {"--norpc",
                  "--pusher_app_id",
                  kAppId,
                  "--pusher_app_key",
                  kAppKey,
                  "--secret",
                  kSecret,
                  "--pusher_api_port",
                  std::to_string(api_port)};
  CableServer server(options);
  ASSERT_TRUE(WaitForPort(api_port));
  CONNECT_PUSHER(c, server);
  ASSERT_TRUE(SubscribesTo(c, "ported"));
  const Json event = {{"name", "moved"}, {"channel", "ported"}, {"data", "{}"}};
  // --secret signs when --pusher_secret is not given.
  EXPECT_EQ(TriggerEvent(server.port(), event).status, 404);
  EXPECT_EQ(TriggerEvent(api_port, event).status, 200);
  EXPECT_TRUE(ReceivesMessage(c.ws, {{"event", "moved"}, {"channel", "ported"}}));
  // Presence channels need a broker that keeps presence.
  const std::string ch = "presence-x";
  const std::string data = R"({"user_id":"1"})";
  EXPECT_TRUE(
      Answers(c, Subscribe(ch, ChannelAuth(c.socket_id + ":" + ch + ":" + data), data), kRejected));
}

TEST(PusherDisabledTest, NothingIsServedWithoutAppIdAndKey) {
  ServeOptions options;
  options.backend.clear();
  options.args = {"--norpc", "--pusher_app_key", kAppKey};
  CableServer server(options);
  auto ws = server.Connect(Target(), {}, {});
  ASSERT_FALSE(ws.ok());
  EXPECT_EQ(ws.error().code, "http_404");
}

}  // namespace
}  // namespace cable::testing
