// HTTP and WebSocket handshake behaviour of `cable serve` (spec §1.1, §10.1):
// subprotocol negotiation, response headers, session ids, health and
// unknown paths, Origin checks, several WebSocket paths, --max-conn.

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <regex>

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
