// Presence through the real `cable serve` (spec §2.6, §10.6): join, leave
// and the presence query on `$pubsub` streams, members kept across a
// disconnect for --presence_ttl, hostile joins, the REST API — with the
// memory broker, without a broker, and with the Redis broker shared by
// two nodes over a real redis-server (one of which dies).

#include <gtest/gtest.h>

#include <csignal>

#include "server/raw_http.h"
#include "server/server_test_helpers.h"
#include "support/auth_vectors.h"
#include "support/redis_server.h"

namespace cable::testing {
namespace {

// The application secret of the REST API tests and the key AnyCable
// derives from it for the API (tests/vectors).
constexpr const char* kSecret = "qwerty";
std::string ApiKey() {
  for (const auto& v : AuthVectors()["derived_keys"]) {
    if (v["phrase"] == "api-cable" && v["secret"] == kSecret) return v["key"];
  }
  ADD_FAILURE() << "no api-cable vector";
  return {};
}

std::string RoomIdentifier(const std::string& room) {
  return Identifier("$pubsub", {{"stream_name", room}});
}

std::string Join(const std::string& identifier, const Json& presence) {
  return Json{{"command", "join"}, {"identifier", identifier}, {"presence", presence}}.dump();
}
std::string Leave(const std::string& identifier) {
  return Json{{"command", "leave"}, {"identifier", identifier}}.dump();
}
std::string Query(const std::string& identifier) {
  return Json{{"command", "presence"}, {"identifier", identifier}, {"data", Json::object()}}.dump();
}

Json Event(const std::string& identifier, const Json& message) {
  return {{"type", "presence"}, {"identifier", identifier}, {"message", message}};
}
Json Joined(const std::string& identifier, const std::string& id, const Json& info) {
  return Event(identifier, {{"type", "join"}, {"info", info}, {"id", id}});
}
Json Left(const std::string& identifier, const std::string& id) {
  return Event(identifier, {{"type", "leave"}, {"id", id}});
}

// The records a presence query answers with, as {id: info}.
Result<Json> Members(ws::Client& c, const std::string& identifier) {
  if (auto s = c.SendText(Query(identifier)); !s.ok()) return s.error();
  auto reply = NextMessage(c);
  if (!reply.ok()) return reply;
  if ((*reply)["type"] != "presence" || (*reply)["message"]["type"] != "info") {
    return Error{"unexpected", reply->dump()};
  }
  Json out = Json::object();
  for (const auto& r : (*reply)["message"].value("records", Json::array())) {
    out[r["id"].get<std::string>()] = r.value("info", Json());
  }
  if ((*reply)["message"]["total"] != out.size()) return Error{"bad_total", reply->dump()};
  return out;
}

class PresenceTest : public SharedServerTest<PresenceTest> {
 public:
  static ServeOptions Options() {
    ServeOptions options = SharedServerTest::Options();
    options.args = {
        "--broker",     "memory", "--public_streams", "--presence_ttl", "1", "--secret", kSecret,
        "--jwt_secret", "none"};
    return options;
  }
};

TEST_F(PresenceTest, MembersSeeEachOthersJoinAndLeaveAndTheList) {
  const std::string id = RoomIdentifier("presence/basic");
  ASSERT_CONNECTED(ann, ConnectWelcomed(server()));
  ASSERT_CONNECTED(bob, ConnectWelcomed(server()));
  ASSERT_TRUE(Subscribes(ann, id));
  ASSERT_TRUE(Subscribes(bob, id));
  ASSERT_TRUE(ann.SendText(Join(id, {{"id", "ann"}, {"info", {{"name", "Ann"}}}})).ok());
  // Everyone on the stream hears it, the joiner included.
  EXPECT_TRUE(ReceivesMessage(ann, Joined(id, "ann", {{"name", "Ann"}})));
  EXPECT_TRUE(ReceivesMessage(bob, Joined(id, "ann", {{"name", "Ann"}})));
  ASSERT_TRUE(bob.SendText(Join(id, {{"id", "bob"}, {"info", {{"name", "Bob"}}}})).ok());
  EXPECT_TRUE(ReceivesMessage(ann, Joined(id, "bob", {{"name", "Bob"}})));
  EXPECT_TRUE(ReceivesMessage(bob, Joined(id, "bob", {{"name", "Bob"}})));
  auto members = Members(bob, id);
  ASSERT_TRUE(members.ok()) << members.error().message;
  EXPECT_EQ(*members, (Json{{"ann", {{"name", "Ann"}}}, {"bob", {{"name", "Bob"}}}}));

  ASSERT_TRUE(ann.SendText(Leave(id)).ok());
  EXPECT_TRUE(ReceivesMessage(bob, Left(id, "ann")));
  EXPECT_TRUE(ReceivesMessage(ann, Left(id, "ann")));
  members = Members(bob, id);
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(*members, (Json{{"bob", {{"name", "Bob"}}}}));
  // Presence events are transient: no position although a broker is on.
  ASSERT_TRUE(bob.SendText(Leave(id)).ok());
  auto left = NextMessage(bob);
  ASSERT_TRUE(left.ok());
  EXPECT_FALSE(left->contains("offset")) << left->dump();
}

TEST_F(PresenceTest, TwoSessionsUnderOneIdAreOneMember) {
  const std::string id = RoomIdentifier("presence/tabs");
  ASSERT_CONNECTED(watcher, ConnectWelcomed(server()));
  ASSERT_CONNECTED(tab1, ConnectWelcomed(server()));
  ASSERT_CONNECTED(tab2, ConnectWelcomed(server()));
  for (auto* c : {&watcher, &tab1, &tab2}) ASSERT_TRUE(Subscribes(*c, id));
  ASSERT_TRUE(tab1.SendText(Join(id, {{"id", "u1"}})).ok());
  for (auto* c : {&watcher, &tab1, &tab2}) {
    EXPECT_TRUE(ReceivesMessage(*c, Event(id, {{"type", "join"}, {"id", "u1"}})));
  }
  ASSERT_TRUE(tab2.SendText(Join(id, {{"id", "u1"}})).ok());
  ASSERT_TRUE(Pongs(tab2));
  EXPECT_TRUE(ReceivesNothing(watcher)) << "no second join";
  ASSERT_TRUE(tab1.SendText(Leave(id)).ok());
  ASSERT_TRUE(Pongs(tab1));
  EXPECT_TRUE(ReceivesNothing(watcher)) << "tab2 is still there";
  // Unsubscribing leaves too.
  ASSERT_TRUE(tab2.SendText(UnsubscribeCommand(id)).ok());
  EXPECT_TRUE(ReceivesMessage(watcher, Left(id, "u1")));
}

TEST_F(PresenceTest, JoiningUnderAnotherIdChangesNothing) {
  const std::string id = RoomIdentifier("presence/mismatch");
  ASSERT_CONNECTED(c, ConnectWelcomed(server()));
  ASSERT_TRUE(Subscribes(c, id));
  ASSERT_TRUE(c.SendText(Join(id, {{"id", "u1"}})).ok());
  EXPECT_TRUE(ReceivesMessage(c, Event(id, {{"type", "join"}, {"id", "u1"}})));
  ASSERT_TRUE(c.SendText(Join(id, {{"id", "u2"}})).ok());
  ASSERT_TRUE(Pongs(c)) << "no reply, no event";
  auto members = Members(c, id);
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(*members, (Json{{"u1", nullptr}}));
}

TEST_F(PresenceTest, SubscribeCanJoinOnceConfirmed) {
  const std::string id = RoomIdentifier("presence/subscribe");
  ASSERT_CONNECTED(c, ConnectWelcomed(server()));
  Json subscribe = {
      {"command", "subscribe"}, {"identifier", id}, {"presence", {{"id", "u1"}, {"info", "hi"}}}};
  ASSERT_TRUE(c.SendText(subscribe.dump()).ok());
  EXPECT_TRUE(ReceivesMessage(c, ConfirmMessage(id)));
  EXPECT_TRUE(ReceivesMessage(c, Joined(id, "u1", "hi")));
}

TEST_F(PresenceTest, ADisconnectedMemberLeavesAfterThePresenceTtl) {
  const std::string id = RoomIdentifier("presence/ttl");
  ASSERT_CONNECTED(watcher, ConnectWelcomed(server()));
  ASSERT_TRUE(Subscribes(watcher, id));
  {
    ASSERT_CONNECTED(gone, ConnectWelcomed(server()));
    ASSERT_TRUE(Subscribes(gone, id));
    ASSERT_TRUE(gone.SendText(Join(id, {{"id", "gone"}})).ok());
    EXPECT_TRUE(ReceivesMessage(watcher, Event(id, {{"type", "join"}, {"id", "gone"}})));
    gone.Close();
  }
  // Still a member right after the disconnect (a reconnect would cause no
  // leave/join pair), gone within the ttl (1 s) and the 1 s sweep.
  auto members = Members(watcher, id);
  ASSERT_TRUE(members.ok());
  EXPECT_TRUE(members->contains("gone")) << members->dump();
  EXPECT_TRUE(ReceivesMessage(watcher, Left(id, "gone"), std::chrono::seconds(4)));
  members = Members(watcher, id);
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(*members, Json::object());
}

TEST_F(PresenceTest, HostileJoinsAreIgnoredAndEveryoneElseIsServed) {
  const std::string id = RoomIdentifier("presence/hostile");
  ASSERT_CONNECTED(c, ConnectWelcomed(server()));
  ASSERT_TRUE(Subscribes(c, id));
  for (const Json& bad :
       {Json{{"id", std::string(257, 'x')}}, Json{{"id", "u"}, {"info", std::string(5000, 'i')}},
        Json{{"id", Json::object()}}, Json{{"info", "no id"}}}) {
    ASSERT_TRUE(c.SendText(Join(id, bad)).ok());
  }
  // A join for a subscription without presence, and one the client lacks.
  const std::string plain = StreamIdentifier("presence/plain");
  ASSERT_TRUE(Subscribes(c, plain));
  ASSERT_TRUE(c.SendText(Join(plain, {{"id", "u"}})).ok());
  ASSERT_TRUE(c.SendText(Query(plain)).ok());
  ASSERT_TRUE(c.SendText(Join(RoomIdentifier("presence/never"), {{"id", "u"}})).ok());
  ASSERT_TRUE(Pongs(c)) << "nothing answered any of them";
  auto members = Members(c, id);
  ASSERT_TRUE(members.ok());
  EXPECT_EQ(*members, Json::object());
}

TEST_F(PresenceTest, RestApiListsMembersWithTheDerivedKey) {
  const std::string room = "presence/rest api";
  const std::string id = RoomIdentifier(room);
  ASSERT_CONNECTED(c, ConnectWelcomed(server()));
  ASSERT_TRUE(Subscribes(c, id));
  ASSERT_TRUE(c.SendText(Join(id, {{"id", "u1"}, {"info", {{"n", 1}}}})).ok());
  ASSERT_TRUE(ReceivesMessage(c, Joined(id, "u1", {{"n", 1}})));
  const std::string path = "/api/presence/presence%2Frest%20api/users";
  std::string body;
  EXPECT_EQ(HttpGet(server().port(), path, &body), 401);
  EXPECT_EQ(HttpGet(server().port(), path, &body, "wrong"), 401);
  ASSERT_EQ(HttpGet(server().port(), path, &body, ApiKey()), 200);
  EXPECT_EQ(Json::parse(body),
            Json::parse(R"({"type":"info","total":1,"records":[{"info":{"n":1},"id":"u1"}]})"));
  ASSERT_EQ(HttpGet(server().port(), "/api/presence/nobody/users", &body, ApiKey()), 200);
  EXPECT_EQ(Json::parse(body), Json::parse(R"({"type":"info","total":0})"));
  for (const char* bad : {"/api/presence/a/b/users", "/api/presence//users", "/api/presence/x",
                          "/api/presenceusers", "/api/other"}) {
    EXPECT_EQ(HttpGet(server().port(), bad, &body, ApiKey()), 404) << bad;
  }
  EXPECT_EQ(HttpPost(server().port(), path, "{}", ApiKey()), 422);
}

TEST_F(PresenceTest, RestApiPublishesWithTheDerivedKeyOnly) {
  const std::string room = "presence/publish";
  ASSERT_CONNECTED(c, ConnectWelcomed(server()));
  ASSERT_TRUE(Subscribes(c, RoomIdentifier(room)));
  const std::string body = Publication(room, {{"n", 1}}).dump();
  EXPECT_EQ(HttpPost(server().port(), "/api/publish", body), 401);
  EXPECT_EQ(HttpPost(server().port(), "/api/publish", body, "wrong"), 401);
  EXPECT_EQ(HttpPost(server().port(), "/api/publish", "{nope", ApiKey()), 422);
  ASSERT_EQ(HttpPost(server().port(), "/api/publish", body, ApiKey()), 201);
  EXPECT_TRUE(ReceivesMessage(c, DataMessage(RoomIdentifier(room), {{"n", 1}})));
}

// The API on a port of its own, open (public mode, no API secret), with
// CORS for browsers that publish.
class ApiPortTest : public SharedServerTest<ApiPortTest> {
 public:
  static ServeOptions Options() {
    ServeOptions options = SharedServerTest::Options();
    api_port_ = FreePort();
    options.args = {"--public",
                    "--broker",
                    "memory",
                    "--api_port",
                    std::to_string(api_port_),
                    "--api_path",
                    "/rest",
                    "--api_cors_headers"};
    return options;
  }
  static inline int api_port_ = 0;
};

TEST_F(ApiPortTest, ServesTheApiOnItsOwnPortWithCors) {
  const std::string room = "presence/api-port";
  ASSERT_CONNECTED(c, ConnectWelcomed(server()));
  ASSERT_TRUE(Subscribes(c, RoomIdentifier(room)));
  const std::string body = Publication(room, {{"n", 1}}).dump();
  ASSERT_EQ(HttpPost(api_port_, "/rest/publish", body), 201);
  EXPECT_TRUE(ReceivesMessage(c, DataMessage(RoomIdentifier(room), {{"n", 1}})));
  EXPECT_EQ(HttpPost(server().port(), "/rest/publish", body), 404) << "not on the main port";
  EXPECT_EQ(HttpPost(api_port_, "/api/publish", body), 404) << "under --api_path only";
  std::string users;
  ASSERT_EQ(HttpGet(api_port_, "/rest/presence/x/users", &users), 200);
  RawConnection preflight(api_port_);
  ASSERT_TRUE(preflight.Send(
      "OPTIONS /rest/publish HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://app.example\r\n"
      "Access-Control-Request-Method: POST\r\n\r\n"));
  RawResponse r = preflight.ReadResponse();
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "*");
  EXPECT_NE(r.Header("Access-Control-Allow-Headers").find("Authorization"), std::string::npos);
}

// Without a broker there is no presence: queries answer the error shape,
// the REST API 501.
class NoBrokerPresenceTest : public SharedServerTest<NoBrokerPresenceTest> {
 public:
  static ServeOptions Options() {
    ServeOptions options = SharedServerTest::Options();
    options.args = {"--public_streams", "--api_port", "0", "--api_secret", "k"};
    return options;
  }
};

TEST_F(NoBrokerPresenceTest, QueriesFailVisiblyAndJoinsQuietly) {
  const std::string id = RoomIdentifier("presence/none");
  ASSERT_CONNECTED(c, ConnectWelcomed(server()));
  ASSERT_TRUE(Subscribes(c, id));
  ASSERT_TRUE(c.SendText(Join(id, {{"id", "u1"}})).ok());
  ASSERT_TRUE(c.SendText(Query(id)).ok());
  EXPECT_TRUE(ReceivesMessage(c, Event(id, {{"type", "error"}, {"total", 0}})));
  std::string body;
  EXPECT_EQ(HttpGet(server().port(), "/api/presence/x/users", &body, "k"), 501);
}

// ------------------------------------------------------------------ Redis

class RedisPresenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
    redis_ = std::make_unique<RedisServer>();
  }
  std::unique_ptr<CableServer> Node() {
    ServeOptions options;
    options.backend = AnytWithTestChannels();
    options.args = {"--broker",       "redis", "--redis_url", redis_->url(), "--public_streams",
                    "--presence_ttl", "1"};
    return std::make_unique<CableServer>(options);
  }
  std::unique_ptr<RedisServer> redis_;
};

// Waits until both nodes receive `stream` through the pub/sub (nodes
// subscribe in the background, as anycable-go does): broadcasts through
// `node` until both clients got one, then reads what is left.
::testing::AssertionResult BothNodesListen(const CableServer& node, ws::Client& a, ws::Client& b,
                                           const std::string& stream) {
  for (int probe = 0; probe < 50; ++probe) {
    if (node.Broadcast(Publication(stream, {{"probe", probe}}).dump()) != 201) continue;
    if (NextMessage(a, std::chrono::milliseconds(200)).ok() &&
        NextMessage(b, std::chrono::milliseconds(200)).ok()) {
      for (auto* c : {&a, &b}) {
        while (NextMessage(*c, kSilenceTimeout).ok()) {
        }
      }
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure() << "the nodes never both received " << stream;
}

TEST_F(RedisPresenceTest, MembersAreSharedByNodesAndADeadNodeLeavesNoGhost) {
  auto a = Node();
  auto b = Node();
  const std::string id = RoomIdentifier("presence/cluster");
  ASSERT_CONNECTED(on_a, ConnectWelcomed(*a));
  ASSERT_CONNECTED(on_b, ConnectWelcomed(*b));
  ASSERT_TRUE(Subscribes(on_a, id));
  ASSERT_TRUE(Subscribes(on_b, id));
  ASSERT_TRUE(BothNodesListen(*a, on_a, on_b, "presence/cluster"));
  ASSERT_TRUE(on_a.SendText(Join(id, {{"id", "ann"}})).ok());
  for (auto* c : {&on_a, &on_b}) {
    EXPECT_TRUE(ReceivesMessage(*c, Event(id, {{"type", "join"}, {"id", "ann"}})));
  }
  ASSERT_TRUE(on_b.SendText(Join(id, {{"id", "bob"}})).ok());
  for (auto* c : {&on_a, &on_b}) {
    EXPECT_TRUE(ReceivesMessage(*c, Event(id, {{"type", "join"}, {"id", "bob"}})));
  }
  // Either node lists both.
  for (auto* c : {&on_a, &on_b}) {
    auto members = Members(*c, id);
    ASSERT_TRUE(members.ok()) << members.error().message;
    EXPECT_EQ(*members, (Json{{"ann", nullptr}, {"bob", nullptr}}));
  }
  // Node a dies without a word: b sweeps ann out within the ttl.
  a->process().Signal(SIGKILL);
  EXPECT_TRUE(ReceivesMessage(on_b, Left(id, "ann"), std::chrono::seconds(5)));
  auto members = Members(on_b, id);
  ASSERT_TRUE(members.ok()) << members.error().message;
  EXPECT_EQ(*members, (Json{{"bob", nullptr}}));
}

TEST_F(RedisPresenceTest, GarbageInRedisNeverBreaksTheNode) {
  auto node = Node();
  const std::string id = RoomIdentifier("presence/garbage");
  redis_->Command({"SET", "_anycable_:presence:presence/garbage:records", "not a hash"});
  redis_->Command({"SET", "_anycable_:presence:deadlines", "not a zset"});
  ASSERT_CONNECTED(c, ConnectWelcomed(*node));
  ASSERT_TRUE(Subscribes(c, id));
  ASSERT_TRUE(c.SendText(Join(id, {{"id", "u1"}})).ok());
  ASSERT_TRUE(c.SendText(Query(id)).ok());
  EXPECT_TRUE(ReceivesMessage(c, Event(id, {{"type", "error"}, {"total", 0}})));
  EXPECT_TRUE(Pongs(c));
}

}  // namespace
}  // namespace cable::testing
