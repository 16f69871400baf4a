// HTTP broadcasts (spec §8.1, §8.2): Bearer authentication, what is a
// publication, batches, exclude_socket, and the key derived from --secret.
// "Nothing was delivered" is proven by ordering where possible: a valid
// sentinel broadcast sent afterwards must be the next message.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/raw_http.h"
#include "server/server_test_helpers.h"

namespace cable::testing {
namespace {

constexpr const char* kKey = "k";

// Sends raw bytes and reads until the server closes; returns the responses.
std::string HttpExchange(int port, const std::string& request);
int HttpRaw(int port, const std::string& request) {
  std::string response = HttpExchange(port, request);
  return response.size() >= 12 ? std::atoi(response.c_str() + 9) : 0;
}

class HttpBroadcastTest : public SharedServerTest<HttpBroadcastTest> {
 public:
  static ServeOptions Options() {
    ServeOptions options;
    options.backend = AnytWithTestChannels();
    options.broadcast_key = kKey;
    return options;
  }
  static int Post(const Json& body) { return server().Broadcast(body.dump(), kKey); }
};

TEST_F(HttpBroadcastTest, BroadcastsGoOnTheMainPortWhenAKeyIsSet) {
  EXPECT_EQ(server().broadcast_port(), server().port());
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = StreamIdentifier("main-port");
  ASSERT_TRUE(Subscribes(client, id));
  ASSERT_EQ(Post(Publication("main-port", {{"n", 1}})), 201);
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"n", 1}})));
}

TEST_F(HttpBroadcastTest, MissingOrWrongAuthorizationIsRejected) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = StreamIdentifier("auth");
  ASSERT_TRUE(Subscribes(client, id));
  const std::string body = Publication("auth", "leaked").dump();
  EXPECT_EQ(server().Broadcast(body), 401) << "no Authorization";
  EXPECT_EQ(server().Broadcast(body, "wrong"), 401) << "wrong key";
  EXPECT_EQ(server().Broadcast(body, "kk"), 401) << "key with a suffix";
  const int port = server().port();
  const std::string head =
      "POST /_broadcast HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n";
  EXPECT_EQ(HttpRaw(port, head + "Authorization: k\r\n\r\n" + body), 401) << "no Bearer scheme";
  EXPECT_EQ(HttpRaw(port, head + "Authorization: Basic k\r\n\r\n" + body), 401) << "Basic scheme";
  ASSERT_EQ(Post(Publication("auth", "sentinel")), 201) << "right key";
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, "sentinel")))
      << "no rejected broadcast may have been delivered";
}

TEST_F(HttpBroadcastTest, GetIsUnprocessable) {
  EXPECT_EQ(HttpGet(server().port(), "/_broadcast"), 422);
}

TEST_F(HttpBroadcastTest, BodiesThatAreNotPublicationsAreRejectedAndNotDelivered) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = StreamIdentifier("invalid");
  ASSERT_TRUE(Subscribes(client, id));
  const std::vector<std::string> bodies = {
      "not json",
      "",
      R"({"stream":"invalid"})",
      R"({"stream":"invalid","data":{"n":1}})",
      R"({"stream":"invalid","data":1})",
      R"({"stream":"","data":"1"})",
      R"({"stream":1,"data":"1"})",
      R"({"foo":"bar"})",
      R"([])",
      R"([{"stream":"invalid","data":"1"},{"bogus":true}])",
      R"({"command":"explode","payload":{}})",
      R"(42)",
  };
  for (const auto& body : bodies) {
    EXPECT_EQ(server().Broadcast(body, kKey), 422) << body;
  }
  ASSERT_EQ(Post(Publication("invalid", "sentinel")), 201);
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, "sentinel")))
      << "nothing from a rejected body may have been delivered";
}

TEST_F(HttpBroadcastTest, BatchIsDeliveredInOrder) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto first = StreamIdentifier("batch-1");
  const auto second = StreamIdentifier("batch-2");
  ASSERT_TRUE(Subscribes(client, first));
  ASSERT_TRUE(Subscribes(client, second));
  Json batch = Json::array();
  for (int i = 1; i <= 5; ++i) batch.push_back(Publication("batch-1", {{"n", i}}));
  batch.push_back(Publication("batch-2", {{"n", 6}}));
  ASSERT_EQ(Post(batch), 201);
  for (int i = 1; i <= 5; ++i) EXPECT_TRUE(ReceivesMessage(client, DataMessage(first, {{"n", i}})));
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(second, {{"n", 6}})));
}

TEST_F(HttpBroadcastTest, ExcludeSocketSkipsThatSession) {
  ASSERT_CONNECTED(excluded,
                   ConnectWelcomed(server(), "/cable", {{"X-Request-ID", "sid-excluded"}}));
  ASSERT_CONNECTED(other, ConnectWelcomed(server(), "/cable", {{"X-Request-ID", "sid-other"}}));
  const auto id = StreamIdentifier("exclude");
  ASSERT_TRUE(Subscribes(excluded, id));
  ASSERT_TRUE(Subscribes(other, id));
  Json pub = Publication("exclude", "to others");
  pub["meta"] = {{"exclude_socket", "sid-excluded"}};
  ASSERT_EQ(Post(pub), 201);
  ASSERT_EQ(Post(Publication("exclude", "to all")), 201);
  EXPECT_TRUE(ReceivesMessage(other, DataMessage(id, "to others")));
  EXPECT_TRUE(ReceivesMessage(other, DataMessage(id, "to all")));
  EXPECT_TRUE(ReceivesMessage(excluded, DataMessage(id, "to all")))
      << "the excluded session skips only the broadcast that names it";
}

TEST_F(HttpBroadcastTest, UnknownMetaIsIgnored) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = StreamIdentifier("meta");
  ASSERT_TRUE(Subscribes(client, id));
  Json pub = Publication("meta", "hi");
  pub["meta"] = {{"transient", true}, {"whatever", 1}};
  ASSERT_EQ(Post(pub), 201);
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, "hi")));
}

TEST_F(HttpBroadcastTest, BroadcastToStreamWithoutSubscribersIsAccepted) {
  EXPECT_EQ(Post(Publication("nobody-listens", "x")), 201);
}

TEST_F(HttpBroadcastTest, KeepAliveConnectionCarriesSeveralBroadcasts) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = StreamIdentifier("keep-alive");
  ASSERT_TRUE(Subscribes(client, id));
  std::string requests;
  for (int i = 1; i <= 3; ++i) {
    const std::string body = Publication("keep-alive", {{"n", i}}).dump();
    requests += "POST /_broadcast HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer k\r\n";
    if (i == 3) requests += "Connection: close\r\n";
    requests += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  const std::string responses = HttpExchange(server().port(), requests);
  size_t created = 0;
  for (size_t pos = 0; (pos = responses.find("HTTP/1.1 201", pos)) != std::string::npos; ++pos) {
    ++created;
  }
  EXPECT_EQ(created, 3u) << responses;
  for (int i = 1; i <= 3; ++i) EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"n", i}})));
}

std::string HttpExchange(int port, const std::string& request) {
  int fd = ConnectTcp(port);
  if (fd < 0) return {};
  size_t off = 0;
  while (off < request.size()) {
    ssize_t n = ::send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  std::string response;
  char buf[4096];
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) response.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return response;
}

// --secret derives the broadcast key as anycable-go does, and broadcasts
// then go on the main port.
TEST(HttpBroadcastSecretTest, KeyIsDerivedFromSecretOnTheMainPort) {
  ServeOptions options;
  options.backend = AnytWithTestChannels();
  options.args = {"--secret", "s"};
  options.default_broadcast_port = true;
  CableServer server(options);
  const std::string key = HmacSha256Hex("s", "broadcast-cable");
  ASSERT_EQ(key.size(), 64u);

  ASSERT_CONNECTED(client, ConnectWelcomed(server));
  const auto id = StreamIdentifier("derived");
  ASSERT_TRUE(Subscribes(client, id));
  const std::string body = Publication("derived", "hi").dump();
  EXPECT_EQ(HttpPost(server.port(), "/_broadcast", body), 401) << "key required";
  EXPECT_EQ(HttpPost(server.port(), "/_broadcast", body, "s"), 401) << "the secret is not the key";
  ASSERT_EQ(HttpPost(server.port(), "/_broadcast", body, key), 201)
      << "hex(HMAC-SHA256(secret, \"broadcast-cable\")) on the main port";
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, "hi")));
}

TEST(HttpBroadcastSeparatePortTest, WithoutKeyBroadcastsGoOnTheirOwnPortUnauthenticated) {
  ServeOptions options;
  options.backend = AnytWithTestChannels();
  CableServer server(options);
  ASSERT_NE(server.broadcast_port(), server.port());
  ASSERT_CONNECTED(client, ConnectWelcomed(server));
  const auto id = StreamIdentifier("separate");
  ASSERT_TRUE(Subscribes(client, id));
  EXPECT_EQ(HttpPost(server.port(), "/_broadcast", Publication("separate", "wrong port").dump()),
            404)
      << "the main port does not take broadcasts without a key";
  ASSERT_EQ(server.Broadcast(Publication("separate", "hi").dump()), 201);
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, "hi")));
}

// --http_broadcast_cors: a browser page may broadcast (with the key) when
// its origin is allowed; the preflight is answered before any key check,
// the POST's answer carries the origin, and other origins get none.
TEST(HttpBroadcastCorsTest, AllowedOriginsGetCorsHeadersAndThePreflightIsAnswered) {
  ServeOptions options;
  options.backend = AnytWithTestChannels();
  options.broadcast_key = "k";
  options.args = {"--http_broadcast_cors", "--allowed_origins", "app.example"};
  CableServer server(options);
  const int port = server.broadcast_port();
  const auto request = [&](const std::string& method, const std::string& origin,
                           const std::string& extra) {
    RawConnection conn(port);
    EXPECT_TRUE(conn.Send(method + " /_broadcast HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: " + origin +
                          "\r\n" + extra + "\r\n"));
    return conn.ReadResponse();
  };
  RawResponse preflight =
      request("OPTIONS", "https://app.example", "Access-Control-Request-Method: POST\r\n");
  EXPECT_EQ(preflight.status, 200) << preflight.error;
  EXPECT_EQ(preflight.Header("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(preflight.Header("Access-Control-Allow-Methods"), "POST, OPTIONS");
  EXPECT_NE(preflight.Header("Access-Control-Allow-Headers").find("Authorization"),
            std::string::npos);

  ASSERT_CONNECTED(client, ConnectWelcomed(server, "/cable", {{"Origin", "https://app.example"}}));
  const auto id = StreamIdentifier("cors");
  ASSERT_TRUE(Subscribes(client, id));
  const std::string body = Publication("cors", "hi").dump();
  RawResponse post =
      request("POST", "https://app.example",
              "Authorization: Bearer k\r\nContent-Length: " + std::to_string(body.size()) +
                  "\r\n\r\n" + body);
  EXPECT_EQ(post.status, 201) << post.head;
  EXPECT_EQ(post.Header("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, "hi")));

  RawResponse foreign = request("OPTIONS", "https://evil.example", "");
  EXPECT_EQ(foreign.Header("Access-Control-Allow-Origin"), "") << "not an allowed origin";
  RawResponse unauthorized = request("POST", "https://app.example", "Content-Length: 0\r\n");
  EXPECT_EQ(unauthorized.status, 401) << "CORS does not replace the key";
}

}  // namespace
}  // namespace cable::testing
