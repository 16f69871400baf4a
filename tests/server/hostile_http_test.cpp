// The HTTP side of `cable serve` under requests real publishers and
// attackers send, against the real binary over raw sockets:
// - a broadcast is authenticated, sized and admitted from its headers, so
//   an unauthenticated client announcing a 10 MB body gets 401 before it
//   sends a byte of it, and a crowd of them costs no memory; bodies over
//   --http_broadcast_max_body get 413, and bodies that would take more than
//   --http_broadcast_max_inflight at once get 503 with Retry-After;
// - routes that take no body answer without reading one and close;
// - what Ruby's Net::HTTP and curl send: absolute-form request targets and
//   `Expect: 100-continue`.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "server/raw_http.h"
#include "server/server_test_helpers.h"

namespace cable::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kKey = "hostile-http-key";
// What a refusal decided from headers may take: far less than any client
// would wait before sending its body anyway.
constexpr auto kPrompt = 1000ms;

ServeOptions KeyedServer(std::vector<std::string> args = {}) {
  ServeOptions options;
  options.backend = AnytWithTestChannels();
  options.broadcast_key = kKey;
  options.args = std::move(args);
  return options;
}

class HostileHttpTest : public SharedServerTest<HostileHttpTest> {
 public:
  static ServeOptions Options() { return KeyedServer(); }

 protected:
  static RawConnection Open() { return RawConnection(server().port()); }
};

// ------------------------------------------------- admission from headers

TEST_F(HostileHttpTest, BroadcastWithoutTheKeyIsRefusedBeforeItsBodyIsSent) {
  for (const std::string bearer : {"", "wrong-key"}) {
    RawConnection conn = Open();
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE(conn.Send(PostHead("/_broadcast", 9900000, bearer)));
    const RawResponse response = conn.ReadResponse(kPrompt);
    EXPECT_EQ(response.status, 401)
        << (bearer.empty() ? "no Authorization" : "a wrong key")
        << ": the answer must come before any body byte; " << response.error;
    EXPECT_TRUE(conn.WaitForClose()) << "the unread body's connection is closed";
  }
}

TEST_F(HostileHttpTest, FortyUnauthenticatedTenMegabyteBodiesDoNotRaiseMemory) {
  const pid_t pid = server().process().pid();
  const size_t before = ResidentBytes(pid);
  ASSERT_GT(before, 0u) << "VmRSS of the server";
  constexpr int kConnections = 40;
  const std::string body_start(1 << 20, 'x');
  std::vector<RawConnection> conns;
  for (int i = 0; i < kConnections; ++i) {
    conns.emplace_back(server().port());
    ASSERT_TRUE(conns.back().ok()) << "connection " << i;
    ASSERT_TRUE(conns.back().Send(PostHead("/_broadcast", 9900000)));
  }
  // Each starts on its body at once, as a client that does not wait for an
  // interim response does; a server that reads it would buffer 40 MB.
  for (auto& conn : conns) conn.SendSome(body_start, 200ms);
  for (int i = 0; i < kConnections; ++i) {
    const RawResponse response = conns[i].ReadResponse();
    EXPECT_EQ(response.status, 401) << "connection " << i << ": " << response.error;
  }
  const size_t after = ResidentBytes(pid);
  EXPECT_LT(after, before + (20u << 20))
      << "RSS went from " << before / 1024 << " KiB to " << after / 1024 << " KiB";
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  EXPECT_TRUE(Pongs(client));
}

TEST_F(HostileHttpTest, BodyOverTheDefaultLimitIsAnswered413BeforeItIsSent) {
  RawConnection conn = Open();
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(conn.Send(PostHead("/_broadcast", 10 * 1024 * 1024 + 1, kKey)));
  const RawResponse response = conn.ReadResponse(kPrompt);
  EXPECT_EQ(response.status, 413) << response.error;
  EXPECT_NE(response.body.find("10485760"), std::string::npos)
      << "the answer names the limit: " << response.body;
  EXPECT_TRUE(conn.WaitForClose());
}

TEST(HttpBodyLimitTest, MaxBodyFlagSetsTheLimit) {
  CableServer server(KeyedServer({"--http_broadcast_max_body", "1000"}));
  ASSERT_CONNECTED(client, ConnectWelcomed(server));
  const auto id = StreamIdentifier("max-body");
  ASSERT_TRUE(Subscribes(client, id));

  RawConnection over(server.port());
  ASSERT_TRUE(over.Send(PostHead("/_broadcast", 1001, kKey)));
  const RawResponse refused = over.ReadResponse(kPrompt);
  EXPECT_EQ(refused.status, 413) << refused.error;
  EXPECT_NE(refused.body.find("1000"), std::string::npos) << refused.body;

  const std::string body = PublicationOfSize("max-body", 1000);
  ASSERT_EQ(body.size(), 1000u);
  EXPECT_EQ(server.Broadcast(body, kKey), 201) << "a body of exactly the limit";
  auto message = NextMessage(client);
  ASSERT_TRUE(message.ok()) << message.error().message;
  EXPECT_EQ((*message)["identifier"], id);
}

// Three publishers announce 600,000 bytes each against an in-flight budget
// of 1,000,000 and send only part: the first is read, the others are told
// to come back.
TEST(HttpInflightTest, BodiesBeyondTheInflightBudgetGet503UntilTheBudgetIsFree) {
  CableServer server(KeyedServer({"--http_broadcast_max_inflight", "1000000"}));
  ASSERT_CONNECTED(client, ConnectWelcomed(server));
  const auto id = StreamIdentifier("inflight");
  ASSERT_TRUE(Subscribes(client, id));
  const std::string big = PublicationOfSize("inflight", 600000);

  // `100 Continue` says the first body has been admitted (and reserved).
  RawConnection first(server.port());
  ASSERT_TRUE(first.Send(PostHead("/_broadcast", big.size(), kKey, "Expect: 100-continue\r\n")));
  const RawResponse go_on = first.ReadResponse(kPrompt);
  ASSERT_EQ(go_on.status, 100) << go_on.error;
  ASSERT_TRUE(first.Send(std::string_view(big).substr(0, 1000)));

  for (const char* which : {"second", "third"}) {
    RawConnection other(server.port());
    ASSERT_TRUE(other.Send(PostHead("/_broadcast", big.size(), kKey)));
    ASSERT_TRUE(other.Send(std::string_view(big).substr(0, 1000)));
    const RawResponse busy = other.ReadResponse(kPrompt);
    EXPECT_EQ(busy.status, 503) << which << " body: " << busy.error;
    EXPECT_EQ(busy.Header("Retry-After"), "1") << busy.head;
    EXPECT_TRUE(other.WaitForClose()) << which;
  }
  EXPECT_EQ(server.Broadcast(Publication("inflight", {{"n", "small"}}).dump(), kKey), 201)
      << "a small body still fits next to the one being read";
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"n", "small"}})));

  ASSERT_TRUE(first.Send(std::string_view(big).substr(1000)));
  const RawResponse done = first.ReadResponse();
  EXPECT_EQ(done.status, 201) << done.error;
  auto message = NextMessage(client);
  ASSERT_TRUE(message.ok()) << message.error().message;
  EXPECT_EQ((*message)["identifier"], id) << "the first body was delivered";

  // Released: the same size is admitted again.
  EXPECT_EQ(server.Broadcast(big, kKey), 201) << "after the first body was read";
  EXPECT_TRUE(NextMessage(client).ok());
  EXPECT_EQ(server.Broadcast(Publication("inflight", {{"n", "last"}}).dump(), kKey), 201);
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"n", "last"}})));
}

TEST(HttpInflightTest, APublisherThatLeavesMidBodyGivesItsShareBack) {
  CableServer server(KeyedServer({"--http_broadcast_max_inflight", "1000000"}));
  const std::string big = PublicationOfSize("leaver", 600000);
  {
    RawConnection leaver(server.port());
    ASSERT_TRUE(leaver.Send(PostHead("/_broadcast", big.size(), kKey, "Expect: 100-continue\r\n")));
    ASSERT_EQ(leaver.ReadResponse(kPrompt).status, 100);
    ASSERT_TRUE(leaver.Send(std::string_view(big).substr(0, 1000)));
    RawConnection refused(server.port());
    ASSERT_TRUE(refused.Send(PostHead("/_broadcast", big.size(), kKey)));
    ASSERT_EQ(refused.ReadResponse(kPrompt).status, 503) << "while the leaver holds its share";
  }  // both disconnect
  // The server notices the close asynchronously; poll with a deadline.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    status = server.Broadcast(big, kKey);
    if (status != 503) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(status, 201) << "the budget must be released when a body's client goes away";
}

// ------------------------------------------- routes that take no body

TEST_F(HostileHttpTest, OtherRoutesAnswerWithoutReadingAnAnnouncedBodyAndClose) {
  struct Case {
    std::string request;
    int status;
  };
  const std::vector<Case> cases = {
      {"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000000\r\n\r\n", 200},
      {"POST /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000000\r\n\r\n", 404},
      {"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n", 200},
      {"GET /cable HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
       "Content-Length: 5000000\r\n\r\n",
       400},
  };
  for (const auto& c : cases) {
    const std::string line = c.request.substr(0, c.request.find('\r'));
    RawConnection conn = Open();
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE(conn.Send(c.request));
    const RawResponse response = conn.ReadResponse(kPrompt);
    EXPECT_EQ(response.status, c.status) << line << ": " << response.error;
    EXPECT_EQ(response.Header("Connection"), "close") << line << "\n" << response.head;
    EXPECT_TRUE(conn.WaitForClose()) << line << ": the body is not waited for";
  }
}

// --------------------------------------------- what real clients send

TEST_F(HostileHttpTest, AbsoluteFormBroadcastTargetIsRouted) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = StreamIdentifier("absolute-form");
  ASSERT_TRUE(Subscribes(client, id));
  // What Net::HTTP writes when it is told to use a proxy.
  const std::string target = "http://127.0.0.1:" + std::to_string(server().port()) + "/_broadcast";
  const std::string body = Publication("absolute-form", {{"via", "absolute"}}).dump();
  RawConnection conn = Open();
  ASSERT_TRUE(conn.Send(PostHead(target, body.size(), kKey) + body));
  const RawResponse response = conn.ReadResponse();
  EXPECT_EQ(response.status, 201) << "POST " << target << ": " << response.error;
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"via", "absolute"}})));
}

TEST_F(HostileHttpTest, AbsoluteFormUpgradeTargetUpgrades) {
  const std::string base = "http://127.0.0.1:" + std::to_string(server().port());
  RawConnection conn = Open();
  ASSERT_TRUE(conn.Send(UpgradeRequest(base + "/cable")));
  const RawResponse response = conn.ReadResponse();
  EXPECT_EQ(response.status, 101) << response.error << "\n" << response.head;

  ASSERT_CONNECTED(client, ConnectWelcomed(server(), base + "/cable?from=proxy"));
  EXPECT_TRUE(Pongs(client));
  // The URL the channel sees is built from the absolute target.
  ASSERT_TRUE(client.SendText(SubscribeCommand(Identifier("Test::UrlChannel"))).ok());
  EXPECT_TRUE(ReceivesMessage(client, {{"message", {{"url", base + "/cable?from=proxy"}}}}));
}

TEST_F(HostileHttpTest, ExpectContinueGets100BeforeTheBodyThen201) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = StreamIdentifier("continue");
  ASSERT_TRUE(Subscribes(client, id));
  const std::string body = Publication("continue", {{"after", "100"}}).dump();
  RawConnection conn = Open();
  ASSERT_TRUE(conn.Send(PostHead("/_broadcast", body.size(), kKey, "Expect: 100-continue\r\n")));
  const auto start = std::chrono::steady_clock::now();
  const RawResponse interim = conn.ReadResponse(kPrompt);
  ASSERT_EQ(interim.status, 100) << "within 1 s, before any body byte: " << interim.error;
  EXPECT_EQ(interim.head.rfind("HTTP/1.1 100 Continue", 0), 0u) << interim.head;
  EXPECT_LT(std::chrono::steady_clock::now() - start, kPrompt);
  ASSERT_TRUE(conn.Send(body));
  const RawResponse final_response = conn.ReadResponse();
  EXPECT_EQ(final_response.status, 201) << final_response.error;
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"after", "100"}})));
}

TEST_F(HostileHttpTest, ExpectContinueWithoutTheKeyGetsTheFinal401AtOnce) {
  for (const std::string bearer : {"", "wrong-key"}) {
    RawConnection conn = Open();
    ASSERT_TRUE(conn.Send(PostHead("/_broadcast", 100, bearer, "Expect: 100-continue\r\n")));
    const RawResponse response = conn.ReadResponse(kPrompt);
    EXPECT_EQ(response.status, 401)
        << (bearer.empty() ? "no key" : "a wrong key")
        << ": no 100 Continue for a refused request; " << response.error;
  }
}

}  // namespace
}  // namespace cable::testing
