// HTTP and WebSocket handshake behaviour of `cable serve` (spec §1.1, §10.1):
// subprotocol negotiation, response headers, session ids, health and
// unknown paths, Origin checks, several WebSocket paths, --max-conn.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <future>
#include <regex>

#include "common/ws/frame.h"
#include "server/raw_http.h"
#include "server/server_test_helpers.h"

namespace cable::testing {
namespace {

using namespace std::chrono_literals;

class TransportTest : public SharedServerTest<TransportTest> {};

TEST_F(TransportTest, PlainJsonSubprotocolIsPreferredOverExtended) {
  auto client = server().Connect("/cable", {}, {"actioncable-v1-ext-json", "actioncable-v1-json"});
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_EQ(client->subprotocol(), "actioncable-v1-json");
  EXPECT_TRUE(ReceivesMessage(*client, {{"type", "welcome"}}));
}

TEST_F(TransportTest, ExtendedSubprotocolIsAcceptedAlone) {
  auto client = server().Connect("/cable", {}, {"actioncable-v1-ext-json"});
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_EQ(client->subprotocol(), "actioncable-v1-ext-json");
  EXPECT_TRUE(ReceivesMessage(*client, {{"type", "welcome"}}));
}

TEST_F(TransportTest, RailsClientOfferIsNegotiatedToPlainJson) {
  auto client = server().Connect("/cable", {}, {"actioncable-v1-json", "actioncable-unsupported"});
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_EQ(client->subprotocol(), "actioncable-v1-json");
}

TEST_F(TransportTest, NoSubprotocolOfferedIsAcceptedWithoutProtocolHeader) {
  auto client = server().Connect("/cable", {}, {});
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_EQ(client->status(), 101);
  EXPECT_EQ(client->ResponseHeader("Sec-WebSocket-Protocol"), "");
  EXPECT_TRUE(ReceivesMessage(*client, {{"type", "welcome"}}));
  EXPECT_TRUE(Pongs(*client)) << "the session speaks plain v1 JSON";
}

TEST_F(TransportTest, UnknownSubprotocolIsAcceptedWithoutProtocolHeader) {
  auto client = server().Connect("/cable", {}, {"graphql-ws"});
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_EQ(client->ResponseHeader("Sec-WebSocket-Protocol"), "");
  EXPECT_TRUE(ReceivesMessage(*client, {{"type", "welcome"}}));
}

TEST_F(TransportTest, UpgradeResponseCarriesAnyCableVersion) {
  auto client = server().Connect();
  ASSERT_TRUE(client.ok()) << client.error().message;
  const std::string version = client->ResponseHeader("X-AnyCable-Version");
  ASSERT_FALSE(version.empty()) << "X-AnyCable-Version missing from the 101 response";
  auto info = cable::testing::Run({CableBinary(), "version", "--json"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_EQ(Json::parse(info.out)["version"], version);
}

TEST_F(TransportTest, RequestIdBecomesTheSessionId) {
  auto client = server().Connect("/cable", {{"X-Request-ID", "req-8f3a-42"}});
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_TRUE(ReceivesMessage(*client, {{"type", "welcome"}, {"sid", "req-8f3a-42"}}));
}

TEST_F(TransportTest, SessionIdIsRandomAndUnguessableWithoutRequestId) {
  auto first = server().Connect();
  auto second = server().Connect();
  ASSERT_TRUE(first.ok() && second.ok());
  auto w1 = NextMessage(*first);
  auto w2 = NextMessage(*second);
  ASSERT_TRUE(w1.ok() && w2.ok());
  // 22 characters of 6 bits: 132 bits, more than a guess can cover.
  const std::regex nanoid("[A-Za-z0-9_-]{22}");
  ASSERT_TRUE((*w1)["sid"].is_string()) << w1->dump();
  ASSERT_TRUE((*w2)["sid"].is_string()) << w2->dump();
  EXPECT_TRUE(std::regex_match((*w1)["sid"].get<std::string>(), nanoid)) << w1->dump();
  EXPECT_NE((*w1)["sid"], (*w2)["sid"]);
}

TEST_F(TransportTest, WebSocketPingFrameIsAnsweredWithPong) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  ASSERT_TRUE(client.SendPing("are you there").ok());
  while (true) {
    auto frame = client.Receive(kReceiveTimeout, /*return_control=*/true);
    ASSERT_TRUE(frame.ok()) << frame.error().message;
    if (frame->kind == ws::Frame::kText) continue;  // an app-level ping may come first
    EXPECT_EQ(frame->kind, ws::Frame::kPong);
    EXPECT_EQ(frame->payload, "are you there") << "a pong echoes the ping's payload";
    break;
  }
}

TEST_F(TransportTest, ClientCloseIsEchoedAndEndsTheSession) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  ASSERT_TRUE(client.SendClose(1000, "bye").ok());
  EXPECT_TRUE(ReceivesClose(client, 1000));
  auto after = client.Receive(kReceiveTimeout);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, "closed") << "the server closes the TCP connection";
}

TEST_F(TransportTest, HealthAnswersOkWithBody) {
  std::string body;
  EXPECT_EQ(HttpGet(server().port(), "/health", &body), 200);
  EXPECT_EQ(body, "Ah, ha, ha, ha, stayin' alive, stayin' alive.");
  EXPECT_EQ(HttpPost(server().port(), "/health", "{}"), 200) << "any method";
}

TEST_F(TransportTest, UnknownPathIsNotFound) {
  EXPECT_EQ(HttpGet(server().port(), "/nope"), 404);
  auto client = server().Connect("/cables");
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().code, "http_404");
}

TEST_F(TransportTest, PlainGetOnCablePathIsBadRequest) {
  EXPECT_EQ(HttpGet(server().port(), "/cable"), 400);
}

TEST_F(TransportTest, ServerKeepsServingAfterHttpRequests) {
  for (int i = 0; i < 5; ++i) ASSERT_EQ(HttpGet(server().port(), "/health"), 200);
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  EXPECT_TRUE(Pongs(client));
}

// ------------------------------------------- the request, read raw
// Most upgrades are read without Asio (the worker's poller watches the
// socket until the session takes it over); a connection that first makes
// another request is handed to Asio and upgraded from there. Both must
// serve the session the same way.

std::string SubscribeFrame(const std::string& identifier) {
  static constexpr uint8_t kMask[4] = {1, 2, 3, 4};
  std::string frame;
  const Json command = {{"command", "subscribe"}, {"identifier", identifier}};
  ws::AppendMaskedFrame(frame, 0x1, command.dump(), kMask);
  return frame;
}

// Reads server frames off `conn` (after its 101) until one's text holds
// `needle`; `pending` carries bytes between calls.
bool ReceivesFrameWith(RawConnection& conn, std::string& pending, const std::string& needle) {
  const auto deadline = std::chrono::steady_clock::now() + kReceiveTimeout;
  for (;;) {
    ws::FrameHeader h;
    uint16_t error = 0;
    while (ws::ParseHeader(pending, UINT64_MAX, ws::Sender::kServer, &h, &error) ==
               ws::ParseStatus::kOk &&
           pending.size() >= h.header_len + h.payload_len) {
      const std::string text = pending.substr(h.header_len, h.payload_len);
      pending.erase(0, h.header_len + h.payload_len);
      if (text.find(needle) != std::string::npos) return true;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{conn.fd(), POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1) return false;
    char buf[4096];
    const ssize_t n = ::recv(conn.fd(), buf, sizeof buf, 0);
    if (n <= 0) return false;
    pending.append(buf, static_cast<size_t>(n));
  }
}

// Nothing arrives from the server within `quiet`.
bool StaysSilent(const RawConnection& conn, std::chrono::milliseconds quiet) {
  pollfd p{conn.fd(), POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(quiet.count())) == 0;
}

TEST_F(TransportTest, UpgradeRequestArrivingInPiecesIsServed) {
  RawConnection conn(server().port());
  ASSERT_TRUE(conn.ok());
  const std::string request = UpgradeRequest("/cable");
  const size_t cut = request.size() / 3;
  ASSERT_TRUE(conn.Send(request.substr(0, cut)));
  EXPECT_TRUE(StaysSilent(conn, 100ms)) << "answered before the request head was complete";
  ASSERT_TRUE(conn.Send(request.substr(cut, cut)));
  EXPECT_TRUE(StaysSilent(conn, 100ms)) << "answered before the request head was complete";
  // The last piece carries a frame right behind the head.
  const std::string first = StreamIdentifier("pieces-1");
  ASSERT_TRUE(conn.Send(request.substr(2 * cut) + SubscribeFrame(first)));
  const RawResponse response = conn.ReadResponse();
  ASSERT_EQ(response.status, 101) << response.error;
  std::string pending = conn.buffered();
  EXPECT_TRUE(ReceivesFrameWith(conn, pending, R"("type":"welcome")"));
  EXPECT_TRUE(ReceivesFrameWith(conn, pending, "confirm_subscription"));
  // A frame sent later reaches the session through its own registration.
  const std::string second = StreamIdentifier("pieces-2");
  ASSERT_TRUE(conn.Send(SubscribeFrame(second)));
  EXPECT_TRUE(ReceivesFrameWith(conn, pending, "pieces-2"));
}

TEST_F(TransportTest, UpgradeAfterAnotherRequestOnTheSameConnectionIsServed) {
  RawConnection conn(server().port());
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(conn.Send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  const RawResponse health = conn.ReadResponse();
  ASSERT_EQ(health.status, 200) << health.error;
  ASSERT_TRUE(conn.Send(UpgradeRequest("/cable")));
  const RawResponse upgrade = conn.ReadResponse();
  ASSERT_EQ(upgrade.status, 101) << upgrade.error;
  std::string pending = conn.buffered();
  EXPECT_TRUE(ReceivesFrameWith(conn, pending, R"("type":"welcome")"));
  ASSERT_TRUE(conn.Send(SubscribeFrame(StreamIdentifier("after-health"))));
  EXPECT_TRUE(ReceivesFrameWith(conn, pending, "confirm_subscription"));
}

TEST_F(TransportTest, RequestHeadLargerThanOneReadIsUpgraded) {
  // 12 KB of headers: several reads, within the 16 KB limit.
  std::string request = UpgradeRequest("/cable");
  request.insert(request.size() - 2, "X-Padding: " + std::string(12000, 'p') + "\r\n");
  RawConnection conn(server().port());
  ASSERT_TRUE(conn.Send(request));
  const RawResponse response = conn.ReadResponse();
  EXPECT_EQ(response.status, 101) << response.error;
}

// ------------------------------------------------------------ origins

class AllowedOriginsTest : public SharedServerTest<AllowedOriginsTest> {
 public:
  static ServeOptions Options() {
    ServeOptions options;
    options.args = {"--allowed_origins", "example.com,*.trusted.io"};
    return options;
  }
  static int UpgradeStatus(const std::string& origin) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!origin.empty()) headers.emplace_back("Origin", origin);
    auto client = server().Connect("/cable", headers);
    if (client.ok()) return client->status();
    return client.error().HttpStatus();
  }
};

TEST_F(AllowedOriginsTest, ListedOriginIsUpgraded) {
  EXPECT_EQ(UpgradeStatus("http://example.com"), 101);
  EXPECT_EQ(UpgradeStatus("https://EXAMPLE.com"), 101) << "hosts compare case-insensitively";
}

TEST_F(AllowedOriginsTest, OtherOriginsAreForbidden) {
  EXPECT_EQ(UpgradeStatus("http://evil.com"), 403);
  EXPECT_EQ(UpgradeStatus("http://example.com.evil.com"), 403);
  EXPECT_EQ(UpgradeStatus("http://example.com:3000"), 403) << "host[:port] must match";
}

TEST_F(AllowedOriginsTest, MissingOriginIsForbidden) {
  EXPECT_EQ(UpgradeStatus(""), 403);
}

TEST_F(AllowedOriginsTest, WildcardEntryMatchesBySuffix) {
  EXPECT_EQ(UpgradeStatus("https://app.trusted.io"), 101);
  EXPECT_EQ(UpgradeStatus("https://a.b.trusted.io"), 101);
  EXPECT_EQ(UpgradeStatus("https://trusted.io.evil.com"), 403);
}

// -------------------------------------------------------------- paths

TEST(WebSocketPathsTest, EveryConfiguredPathUpgrades) {
  ServeOptions options;
  options.args = {"--path", "/cable,/admin/cable/*,/accounts/{tenant}/cable"};
  CableServer server(options);
  for (const std::string target :
       {"/cable", "/cable?x=1", "/admin/cable/", "/admin/cable/v2", "/accounts/42/cable"}) {
    auto client = server.Connect(target);
    ASSERT_TRUE(client.ok()) << target << ": " << client.error().message;
    EXPECT_TRUE(ReceivesMessage(*client, {{"type", "welcome"}})) << target;
  }
  for (const std::string target : {"/admin", "/accounts/cable", "/accounts/42/cable/x", "/other"}) {
    auto client = server.Connect(target);
    ASSERT_FALSE(client.ok()) << target << " must not upgrade";
    EXPECT_EQ(client.error().code, "http_404") << target;
  }
}

// ----------------------------------------------------------- max-conn

TEST(MaxConnTest, ConnectionBeyondTheLimitWaitsUntilOneCloses) {
  ServeOptions options;
  options.args = {"--max-conn", "2"};
  CableServer server(options);
  ASSERT_CONNECTED(first, ConnectWelcomed(server));
  ASSERT_CONNECTED(second, ConnectWelcomed(server));

  auto third = std::async(std::launch::async, [port = server.port()]() -> Result<ws::Client> {
    ws::ConnectOptions o;
    o.port = port;
    o.timeout = 10s;
    auto client = ws::Client::Connect(o);
    if (!client.ok()) return client.error();
    auto welcome = NextMessage(*client);
    if (!welcome.ok()) return welcome.error();
    return std::move(client.value());
  });
  EXPECT_EQ(third.wait_for(kSilenceTimeout), std::future_status::timeout)
      << "a third connection must not be served while two are open";

  ASSERT_TRUE(first.SendClose(1000).ok());
  EXPECT_TRUE(ReceivesClose(first, 1000));
  first.Close();

  ASSERT_EQ(third.wait_for(5s), std::future_status::ready)
      << "the waiting connection is served once a slot frees";
  auto client = third.get();
  ASSERT_TRUE(client.ok()) << client.error().code << ": " << client.error().message;
  EXPECT_TRUE(Pongs(*client));
  EXPECT_TRUE(Pongs(second));
}

// The test and conformance client bounds what it buffers: a server message
// above its limit is a protocol error, not unbounded memory.
TEST_F(TransportTest, ClientRefusesServerMessagesAboveItsLimit) {
  ws::ConnectOptions options;
  options.port = server().port();
  options.max_message_size = 1024;
  auto client = ws::Client::Connect(options);
  ASSERT_TRUE(client.ok()) << client.error().message;
  ASSERT_TRUE(ReceivesMessage(*client, {{"type", "welcome"}}));
  ASSERT_TRUE(Subscribes(*client, AnytIdentifier("StreamsWithManyClientsChannel")));  // stream "a"
  ASSERT_EQ(server().Broadcast(Publication("a", std::string(4000, 'x')).dump()), 201);
  auto frame = client->Receive(kReceiveTimeout);
  ASSERT_FALSE(frame.ok()) << "a 4 KB message was accepted under a 1 KB limit";
  EXPECT_EQ(frame.error().code, "protocol");
  EXPECT_NE(frame.error().message.find("exceeds the client's limit"), std::string::npos)
      << frame.error().message;
}

}  // namespace
}  // namespace cable::testing
