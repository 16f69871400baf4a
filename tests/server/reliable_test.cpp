// Reliable streams through the real `cable serve`: positions on broadcasts,
// history replay, session restore without an RPC Connect, and what hostile
// or broken input does to them — with the memory broker and with the Redis
// broker over a real redis-server (two nodes sharing it).

#include <gtest/gtest.h>

#include "server/server_test_helpers.h"
#include "support/nats_server.h"
#include "support/redis_server.h"

namespace cable::testing {
namespace {

constexpr const char* kExt = "actioncable-v1-ext-json";

std::unique_ptr<CableServer> StartServer(std::vector<std::string> args) {
  ServeOptions options;
  options.backend = AnytWithTestChannels();
  options.args = std::move(args);
  return std::make_unique<CableServer>(options);
}

// Connects on the extended protocol; the welcome is returned in `welcome`.
Result<ws::Client> ConnectExt(const CableServer& server, const std::string& target, Json* welcome,
                              std::vector<std::pair<std::string, std::string>> headers = {}) {
  auto c = server.Connect(target, std::move(headers), {kExt});
  if (!c.ok()) return c;
  auto w = NextMessage(*c, kReceiveTimeout, Skip::kPings);
  if (!w.ok()) return w.error();
  *welcome = *w;
  return c;
}

std::string Sid(const Json& welcome) {
  return welcome.value("sid", "");
}

// uid-identified connections of AnyT's backend (?test=uid&uid=...).
std::string UidTarget(const std::string& uid) {
  return "/cable?test=uid&uid=" + uid;
}
// A target whose RPC Connect is rejected: reaching the application at all
// makes the connection fail, so a welcome proves no Connect was made.
constexpr const char* kConnectRejected = "test=reasons&reason=unauthorized";

Json HistoryCommand(const std::string& identifier, const Json& history) {
  return {{"command", "history"}, {"identifier", identifier}, {"history", history}};
}

Json Position(const std::string& stream, uint64_t offset, const std::string& epoch) {
  return {{"streams", {{stream, {{"offset", offset}, {"epoch", epoch}}}}}};
}

class MemoryBrokerServeTest : public SharedServerTest<MemoryBrokerServeTest> {
 public:
  static ServeOptions Options() {
    ServeOptions options = SharedServerTest::Options();
    // A message size that lets a history request of 10,000 streams reach
    // the parser.
    options.args = {"--broker",           "memory", "--history_limit", "5", "--public_streams",
                    "--max_message_size", "1048576"};
    return options;
  }
};

TEST_F(MemoryBrokerServeTest, BroadcastsCarryPositionsFromOne) {
  ASSERT_CONNECTED(c, ConnectWelcomed(server()));
  const std::string id = StreamIdentifier("pos");
  ASSERT_TRUE(Subscribes(c, id));
  for (int i = 1; i <= 2; ++i) {
    ASSERT_EQ(server().Broadcast(Publication("pos", {{"n", i}}).dump()), 201);
  }
  auto first = NextMessage(c);
  auto second = NextMessage(c);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ((*first)["stream_id"], "pos");
  EXPECT_EQ((*first)["offset"], 1);
  EXPECT_EQ((*second)["offset"], 2);
  EXPECT_EQ((*first)["epoch"], (*second)["epoch"]);
  EXPECT_EQ((*first)["epoch"].get<std::string>().size(), 4u);
}

TEST_F(MemoryBrokerServeTest, TransientBroadcastsAreNotStoredAndHaveNoPosition) {
  ASSERT_CONNECTED(c, ConnectWelcomed(server()));
  const std::string id = StreamIdentifier("transient");
  ASSERT_TRUE(Subscribes(c, id));
  Json transient = Publication("transient", {{"n", 0}});
  transient["meta"] = {{"transient", true}};
  ASSERT_EQ(server().Broadcast(transient.dump()), 201);
  auto got = NextMessage(c);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->contains("offset")) << got->dump();
  ASSERT_EQ(server().Broadcast(Publication("transient", {{"n", 1}}).dump()), 201);
  auto stored = NextMessage(c);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ((*stored)["offset"], 1) << "the transient one took no offset";
}

TEST_F(MemoryBrokerServeTest, SubscribeWithHistoryReplaysAfterTheConfirmation) {
  const std::string stream = "replay";
  for (int i = 1; i <= 3; ++i) {
    ASSERT_EQ(server().Broadcast(Publication(stream, {{"n", i}}).dump()), 201);
  }
  ASSERT_CONNECTED(probe, ConnectWelcomed(server()));
  // The epoch is learned from a live broadcast.
  ASSERT_TRUE(Subscribes(probe, StreamIdentifier(stream)));
  ASSERT_EQ(server().Broadcast(Publication(stream, {{"n", 4}}).dump()), 201);
  auto live = NextMessage(probe);
  ASSERT_TRUE(live.ok());
  const std::string epoch = (*live)["epoch"];

  Json welcome;
  ASSERT_CONNECTED(c, ConnectExt(server(), "/cable", &welcome));
  const std::string id = StreamIdentifier(stream);
  Json subscribe = {
      {"command", "subscribe"}, {"identifier", id}, {"history", Position(stream, 1, epoch)}};
  ASSERT_TRUE(c.SendText(subscribe.dump()).ok());
  EXPECT_TRUE(ReceivesMessage(c, ConfirmMessage(id)));
  for (int n = 2; n <= 4; ++n) {
    EXPECT_TRUE(ReceivesMessage(c, {{"identifier", id}, {"message", {{"n", n}}}, {"offset", n}}));
  }
  EXPECT_TRUE(ReceivesMessage(c, {{"type", "confirm_history"}, {"identifier", id}}));
}

TEST_F(MemoryBrokerServeTest, HistoryIsRejectedWhenItCannotBeCaughtUp) {
  const std::string stream = "rejects";
  const std::string id = StreamIdentifier(stream);
  ASSERT_CONNECTED(c, ConnectWelcomed(server()));
  ASSERT_TRUE(Subscribes(c, id));
  for (int i = 1; i <= 7; ++i) {  // --history_limit 5 keeps 3..7
    ASSERT_EQ(server().Broadcast(Publication(stream, {{"n", i}}).dump()), 201);
  }
  std::string epoch;
  for (int i = 1; i <= 7; ++i) {
    auto m = NextMessage(c);
    ASSERT_TRUE(m.ok());
    epoch = (*m)["epoch"];
  }
  const Json rejected = {{"type", "reject_history"}, {"identifier", id}};
  for (const Json& history : {Position(stream, 1, epoch), Position(stream, 8, epoch),
                              Position(stream, 5, epoch + "x"), Position("other", 1, epoch)}) {
    // "other" is not a stream of this subscription: nothing to replay.
    const bool covered = history["streams"].contains(stream);
    ASSERT_TRUE(c.SendText(HistoryCommand(id, history).dump()).ok());
    if (covered) {
      EXPECT_TRUE(ReceivesMessage(c, rejected)) << history.dump();
    } else {
      EXPECT_TRUE(ReceivesMessage(c, {{"type", "confirm_history"}, {"identifier", id}}));
    }
  }
  // Malformed requests are refused clearly, not guessed at.
  for (const Json& history : {Json{{"streams", {{stream, {{"offset", "2"}, {"epoch", epoch}}}}}},
                              Json{{"since", "yesterday"}}}) {
    ASSERT_TRUE(c.SendText(HistoryCommand(id, history).dump()).ok());
    EXPECT_TRUE(ReceivesMessage(c, rejected)) << history.dump();
  }
  // Neither since nor streams: ignored, as anycable-go does.
  ASSERT_TRUE(c.SendText(HistoryCommand(id, Json::object()).dump()).ok());
  EXPECT_TRUE(Pongs(c));
  // Oldest kept - 1 still catches up.
  ASSERT_TRUE(c.SendText(HistoryCommand(id, Position(stream, 2, epoch)).dump()).ok());
  for (int n = 3; n <= 7; ++n) EXPECT_TRUE(ReceivesMessage(c, {{"offset", n}}));
  EXPECT_TRUE(ReceivesMessage(c, {{"type", "confirm_history"}, {"identifier", id}}));
}

TEST_F(MemoryBrokerServeTest, SinceInTheFarFutureReplaysNothing) {
  const std::string id = StreamIdentifier("future");
  ASSERT_CONNECTED(c, ConnectWelcomed(server()));
  ASSERT_TRUE(Subscribes(c, id));
  ASSERT_EQ(server().Broadcast(Publication("future", {{"n", 1}}).dump()), 201);
  ASSERT_TRUE(NextMessage(c).ok());
  ASSERT_TRUE(c.SendText(HistoryCommand(id, {{"since", 4102444800}}).dump()).ok());
  EXPECT_TRUE(ReceivesMessage(c, {{"type", "confirm_history"}, {"identifier", id}}));
  ASSERT_TRUE(c.SendText(HistoryCommand(id, {{"since", 1}}).dump()).ok());
  EXPECT_TRUE(ReceivesMessage(c, {{"message", {{"n", 1}}}, {"offset", 1}}));
  EXPECT_TRUE(ReceivesMessage(c, {{"type", "confirm_history"}, {"identifier", id}}));
}

TEST_F(MemoryBrokerServeTest, HistoryNamingTenThousandStreamsIsRefused) {
  const std::string id = StreamIdentifier("many");
  ASSERT_CONNECTED(c, ConnectWelcomed(server()));
  ASSERT_TRUE(Subscribes(c, id));
  Json streams = Json::object();
  for (int i = 0; i < 10000; ++i) {
    streams["s" + std::to_string(i)] = {{"offset", 1}, {"epoch", "e"}};
  }
  ASSERT_TRUE(c.SendText(HistoryCommand(id, {{"streams", streams}}).dump()).ok());
  EXPECT_TRUE(ReceivesMessage(c, {{"type", "reject_history"}, {"identifier", id}}));
  EXPECT_TRUE(Pongs(c));
  // Everyone else is undisturbed.
  ASSERT_CONNECTED(other, ConnectWelcomed(server()));
  EXPECT_TRUE(Pongs(other));
}

TEST_F(MemoryBrokerServeTest, RestoreBringsTheSessionBackWithoutConnect) {
  Json welcome;
  const std::string stream = "restore";
  const std::string id = StreamIdentifier(stream);
  std::string old_sid;
  {
    ASSERT_CONNECTED(c, ConnectExt(server(), UidTarget("alice"), &welcome));
    old_sid = Sid(welcome);
    ASSERT_EQ(old_sid.size(), 22u);
    ASSERT_TRUE(Subscribes(c, id));
    c.Close();
  }
  Json restored;
  ASSERT_CONNECTED(
      c, ConnectExt(server(), std::string("/cable?sid=") + old_sid + "&" + kConnectRejected,
                    &restored));
  EXPECT_EQ(restored["type"], "welcome");
  EXPECT_EQ(restored["restored"], true) << restored.dump();
  EXPECT_EQ(restored["restored_ids"], Json::array({id}));
  EXPECT_NE(Sid(restored), old_sid);
  // Streams are back without a subscribe.
  ASSERT_EQ(server().Broadcast(Publication(stream, {{"n", 1}}).dump()), 201);
  EXPECT_TRUE(ReceivesMessage(c, {{"identifier", id}, {"message", {{"n", 1}}}}));
  // Identifiers are back: a remote disconnect by them reaches the session.
  Json disconnect = {
      {"command", "disconnect"},
      {"payload", {{"identifier", Json({{"uid", "alice"}}).dump()}, {"reconnect", false}}}};
  ASSERT_EQ(server().Broadcast(disconnect.dump()), 201);
  EXPECT_TRUE(ReceivesMessage(c, DisconnectMessage("remote", false)));
}

// Each subscribe rewrites the snapshot: past 1 MiB of state the session
// stops being saved (the cost would grow with every subscription), and a
// restore brings back the last snapshot that fit.
TEST_F(MemoryBrokerServeTest, OversizedSessionsKeepTheirLastSnapshotThatFit) {
  Json welcome;
  std::string old_sid;
  const std::string small = StreamIdentifier("small");
  {
    ASSERT_CONNECTED(c, ConnectExt(server(), UidTarget("frank"), &welcome));
    old_sid = Sid(welcome);
    ASSERT_TRUE(Subscribes(c, small));
    for (int i = 0; i < 8; ++i) {
      const std::string big = Identifier(
          "$pubsub", {{"stream_name", "big" + std::to_string(i) + std::string(100000, 'x')}});
      ASSERT_TRUE(Subscribes(c, big)) << i;
    }
    c.Close();
  }
  Json restored;
  ASSERT_CONNECTED(
      c, ConnectExt(server(), "/cable?sid=" + old_sid + "&" + kConnectRejected, &restored));
  EXPECT_EQ(restored["restored"], true) << restored.dump().substr(0, 300);
  ASSERT_TRUE(restored["restored_ids"].is_array());
  const size_t n = restored["restored_ids"].size();
  EXPECT_GE(n, 1u);
  EXPECT_LT(n, 9u) << "every subscription was saved, past 1 MiB";
  EXPECT_EQ(restored["restored_ids"][0], small);
  EXPECT_TRUE(Pongs(c));
}

TEST_F(MemoryBrokerServeTest, HeaderSidWinsOverTheQuery) {
  Json welcome;
  std::string old_sid;
  {
    ASSERT_CONNECTED(c, ConnectExt(server(), UidTarget("bob"), &welcome));
    old_sid = Sid(welcome);
    c.Close();
  }
  Json restored;
  ASSERT_CONNECTED(c, ConnectExt(server(), std::string("/cable?sid=nonsense&") + kConnectRejected,
                                 &restored, {{"X-AnyCable-Restore-Sid", old_sid}}));
  EXPECT_EQ(restored["restored"], true) << restored.dump();
  EXPECT_TRUE(Pongs(c));
}

TEST_F(MemoryBrokerServeTest, UnknownGuessedOrHostileSidsAuthenticateNormally) {
  const std::string huge(2048, 'a');
  for (const std::string& sid : {std::string("AAAAAAAAAAAAAAAAAAAAAA"), huge,
                                 std::string("%00%0Aforged"), std::string("")}) {
    // The application is asked (Connect), and here it refuses.
    auto c = server().Connect("/cable?sid=" + sid + "&" + kConnectRejected, {}, {kExt});
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_TRUE(ReceivesMessage(*c, DisconnectMessage("unauthorized", false))) << sid.size();
  }
  // A sid of a megabyte does not fit in a request head at all.
  auto huge_sid = server().Connect("/cable?sid=" + std::string(1 << 20, 'a'), {}, {kExt});
  EXPECT_FALSE(huge_sid.ok());
  ASSERT_CONNECTED(ok, ConnectWelcomed(server()));
  EXPECT_TRUE(Pongs(ok));
}

TEST_F(MemoryBrokerServeTest, PlainActionCableClientsAreNeverRestored) {
  Json welcome;
  std::string old_sid;
  {
    ASSERT_CONNECTED(c, ConnectExt(server(), UidTarget("carol"), &welcome));
    old_sid = Sid(welcome);
    c.Close();
  }
  auto c = server().Connect("/cable?sid=" + old_sid + "&" + kConnectRejected, {},
                            {"actioncable-v1-json"});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(ReceivesMessage(*c, DisconnectMessage("unauthorized", false)));
}

TEST_F(MemoryBrokerServeTest, RestorableSessionsIgnoreClientChosenSids) {
  Json welcome;
  ASSERT_CONNECTED(c, ConnectExt(server(), "/cable", &welcome, {{"X-Request-ID", "chosen"}}));
  EXPECT_TRUE(Pongs(c));
  EXPECT_NE(Sid(welcome), "chosen");
  EXPECT_EQ(Sid(welcome).size(), 22u);
}

TEST(NoBrokerTest, HistoryIsRejectedAndWelcomeIsNeverRestored) {
  auto server = StartServer({});
  const std::string id = StreamIdentifier("none");
  Json welcome;
  ASSERT_CONNECTED(c, ConnectExt(*server, UidTarget("dave"), &welcome));
  ASSERT_TRUE(Subscribes(c, id));
  ASSERT_EQ(server->Broadcast(Publication("none", {{"n", 1}}).dump()), 201);
  auto m = NextMessage(c);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->contains("offset"));
  ASSERT_TRUE(c.SendText(HistoryCommand(id, {{"since", 1}}).dump()).ok());
  EXPECT_TRUE(ReceivesMessage(c, {{"type", "reject_history"}, {"identifier", id}}));
  auto again = server->Connect("/cable?sid=" + Sid(welcome) + "&" + kConnectRejected, {}, {kExt});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(ReceivesMessage(*again, DisconnectMessage("unauthorized", false)));
}

// ---------------------------------------------------------------- Redis

class RedisBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
    redis_ = std::make_unique<RedisServer>();
  }
  // One node needs no pub/sub; two nodes use Redis's (NodeOfTwo).
  std::unique_ptr<CableServer> Node() {
    return StartServer({"--broker", "redis", "--redis_url", redis_->url(), "--pubsub", "none"});
  }
  std::unique_ptr<CableServer> NodeOfTwo() {
    return StartServer({"--broker", "redis", "--redis_url", redis_->url()});
  }
  std::unique_ptr<RedisServer> redis_;
};

// Publishes `message` (plus a probe number) through `node` until `client`
// receives one: a node subscribes to a stream in the pub/sub in the
// background (as anycable-go does), so the first broadcasts after a
// subscribe may not reach it yet. Returns what the client received.
Result<Json> PublishUntilReceived(const CableServer& node, ws::Client& client,
                                  const std::string& stream, Json message) {
  for (int probe = 0; probe < 50; ++probe) {
    message["probe"] = probe;
    if (node.Broadcast(Publication(stream, message).dump()) != 201) continue;
    auto got = NextMessage(client, std::chrono::milliseconds(200));
    if (got.ok()) return got;
  }
  return Error{"timeout", "no broadcast reached the client"};
}

// A client of node `a` leaves, misses messages sent through both nodes,
// reconnects to `b`: restored there without Connect, caught up from
// history, then live again.
void RestoresAndCatchesUpOnTheOtherNode(const CableServer& a, const CableServer& b) {
  const std::string stream = "cross";
  const std::string id = StreamIdentifier(stream);
  Json welcome;
  std::string sid;
  Json last;
  {
    ASSERT_CONNECTED(c, ConnectExt(a, UidTarget("erin"), &welcome));
    sid = Sid(welcome);
    ASSERT_TRUE(Subscribes(c, id));
    auto m = PublishUntilReceived(a, c, stream, {{"n", 1}});
    ASSERT_TRUE(m.ok()) << m.error().message;
    // Probes that arrive late are read too: `last` is where the client got to.
    last = *m;
    for (auto more = NextMessage(c, kSilenceTimeout); more.ok();
         more = NextMessage(c, kSilenceTimeout)) {
      last = *more;
    }
    c.Close();
  }
  const uint64_t seen = last["offset"];
  // Sent while the client is away, through either node.
  ASSERT_EQ(a.Broadcast(Publication(stream, {{"n", 2}}).dump()), 201);
  ASSERT_EQ(b.Broadcast(Publication(stream, {{"n", 3}}).dump()), 201);
  Json restored;
  ASSERT_CONNECTED(c, ConnectExt(b, "/cable?sid=" + sid + "&" + kConnectRejected, &restored));
  ASSERT_EQ(restored["restored"], true) << restored.dump();
  ASSERT_TRUE(c.SendText(HistoryCommand(id, Position(stream, seen, last["epoch"])).dump()).ok());
  EXPECT_TRUE(ReceivesMessage(c, {{"message", {{"n", 2}}}, {"offset", seen + 1}}));
  EXPECT_TRUE(ReceivesMessage(c, {{"message", {{"n", 3}}}, {"offset", seen + 2}}));
  EXPECT_TRUE(ReceivesMessage(c, {{"type", "confirm_history"}, {"identifier", id}}));
  // Live again on the new node, broadcast through the old one.
  auto live = PublishUntilReceived(a, c, stream, {{"n", 4}});
  ASSERT_TRUE(live.ok()) << live.error().message;
  EXPECT_EQ((*live)["message"]["n"], 4);
  EXPECT_GT((*live)["offset"].get<uint64_t>(), seen + 2);
}

TEST_F(RedisBrokerTest, AClientRestoresAndCatchesUpOnTheOtherNode) {
  auto a = NodeOfTwo();
  auto b = NodeOfTwo();
  RestoresAndCatchesUpOnTheOtherNode(*a, *b);
}

TEST_F(RedisBrokerTest, GarbageInRedisNeverRestoresOrReplays) {
  auto node = Node();
  const std::string stream = "garbage";
  const std::string id = StreamIdentifier(stream);
  redis_->Command({"SET", "_anycable_:session:forged", "{not json"});
  auto c = node->Connect(std::string("/cable?sid=forged&") + kConnectRejected, {}, {kExt});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(ReceivesMessage(*c, DisconnectMessage("unauthorized", false)));

  ASSERT_CONNECTED(s, ConnectWelcomed(*node));
  ASSERT_TRUE(Subscribes(s, id));
  ASSERT_EQ(node->Broadcast(Publication(stream, {{"n", 1}}).dump()), 201);
  auto m = NextMessage(s);
  ASSERT_TRUE(m.ok());
  const std::string epoch = (*m)["epoch"];
  redis_->Command({"SET", "_anycable_:offset:" + stream, "banana"});
  ASSERT_TRUE(s.SendText(HistoryCommand(id, Position(stream, 0, epoch)).dump()).ok());
  EXPECT_TRUE(ReceivesMessage(s, {{"type", "reject_history"}, {"identifier", id}}));
  EXPECT_TRUE(Pongs(s));
}

TEST_F(RedisBrokerTest, ALostEpochMeansANewOneAndOldPositionsAreRejected) {
  auto node = Node();
  const std::string stream = "epoch-loss";
  const std::string id = StreamIdentifier(stream);
  ASSERT_CONNECTED(c, ConnectWelcomed(*node));
  ASSERT_TRUE(Subscribes(c, id));
  ASSERT_EQ(node->Broadcast(Publication(stream, {{"n", 1}}).dump()), 201);
  auto before = NextMessage(c);
  ASSERT_TRUE(before.ok());
  redis_->Command({"DEL", "_anycable_:epoch"});
  ASSERT_EQ(node->Broadcast(Publication(stream, {{"n", 2}}).dump()), 201);
  auto after = NextMessage(c);
  ASSERT_TRUE(after.ok());
  EXPECT_NE((*after)["epoch"], (*before)["epoch"]);
  ASSERT_TRUE(
      c.SendText(
           HistoryCommand(id, Position(stream, (*before)["offset"], (*before)["epoch"])).dump())
          .ok());
  EXPECT_TRUE(ReceivesMessage(c, {{"type", "reject_history"}, {"identifier", id}}));
}

TEST_F(RedisBrokerTest, StoringFailsWith501WhileRedisIsDownAndResumesAfter) {
  auto node = Node();
  const std::string stream = "outage";
  ASSERT_CONNECTED(c, ConnectWelcomed(*node));
  ASSERT_TRUE(Subscribes(c, StreamIdentifier(stream)));
  ASSERT_EQ(node->Broadcast(Publication(stream, {{"n", 1}}).dump()), 201);
  ASSERT_TRUE(NextMessage(c).ok());
  redis_->Stop();
  EXPECT_EQ(node->Broadcast(Publication(stream, {{"n", 2}}).dump()), 501);
  redis_->Restart();
  // Storing resumes by itself once the broker reconnects (with backoff).
  int status = 0;
  for (int i = 0; i < 100 && status != 201; ++i) {
    status = node->Broadcast(Publication(stream, {{"n", 3}}).dump());
    if (status != 201) {
      ASSERT_TRUE(ReceivesNothing(c, std::chrono::milliseconds(100)));
    }
  }
  ASSERT_EQ(status, 201);
  auto m = NextMessage(c);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)["message"]["n"], 3);
  EXPECT_TRUE(Pongs(c));
}

// ---------------------------------------------------------------- NATS

// anycable-go's JetStream layout (spec §9), over a real nats-server with
// JetStream; the pub/sub follows the broker onto NATS.
TEST(NatsBrokerTest, AClientRestoresAndCatchesUpOnTheOtherNode) {
  if (!NatsServer::Available()) GTEST_SKIP() << "nats-server not installed";
  NatsServer nats(/*jetstream=*/true);
  auto a = StartServer({"--broker", "nats", "--nats_servers", nats.url()});
  auto b = StartServer({"--broker", "nats", "--nats_servers", nats.url()});
  RestoresAndCatchesUpOnTheOtherNode(*a, *b);
}

TEST(NatsBrokerTest, StreamNamesJetStreamRefusesAreStoredToo) {
  if (!NatsServer::Available()) GTEST_SKIP() << "nats-server not installed";
  NatsServer nats(/*jetstream=*/true);
  auto node = StartServer({"--broker", "nats", "--nats_servers", nats.url()});
  for (const std::string stream : {"chat/42", "a.b", "with space", "gid://app/Room/1>*"}) {
    ASSERT_CONNECTED(c, ConnectWelcomed(*node));
    ASSERT_TRUE(Subscribes(c, StreamIdentifier(stream)));
    ASSERT_EQ(node->Broadcast(Publication(stream, {{"n", 1}}).dump()), 201) << stream;
    EXPECT_TRUE(ReceivesMessage(c, {{"stream_id", stream}, {"offset", 1}})) << stream;
  }
}

TEST(NatsBrokerTest, StoringFailsWith501WhileNatsIsDownAndResumesAfter) {
  if (!NatsServer::Available()) GTEST_SKIP() << "nats-server not installed";
  NatsServer nats(/*jetstream=*/true);
  auto node = StartServer({"--broker", "nats", "--nats_servers", nats.url(), "--pubsub", "none"});
  const std::string stream = "outage";
  ASSERT_CONNECTED(c, ConnectWelcomed(*node));
  ASSERT_TRUE(Subscribes(c, StreamIdentifier(stream)));
  ASSERT_EQ(node->Broadcast(Publication(stream, {{"n", 1}}).dump()), 201);
  ASSERT_TRUE(NextMessage(c).ok());
  nats.Stop();
  EXPECT_EQ(node->Broadcast(Publication(stream, {{"n", 2}}).dump()), 501);
  nats.Restart();
  int status = 0;
  for (int i = 0; i < 150 && status != 201; ++i) {
    status = node->Broadcast(Publication(stream, {{"n", 3}}).dump());
    if (status != 201) {
      ASSERT_TRUE(ReceivesNothing(c, std::chrono::milliseconds(100)));
    }
  }
  ASSERT_EQ(status, 201);
  // JetStream kept its data: the stream goes on where it was.
  EXPECT_TRUE(ReceivesMessage(c, {{"message", {{"n", 3}}}, {"offset", 2}}));
}

TEST(NatsBrokerTest, WithoutJetStreamStoringFailsClearly) {
  if (!NatsServer::Available()) GTEST_SKIP() << "nats-server not installed";
  NatsServer nats;  // no JetStream
  auto node = StartServer({"--broker", "nats", "--nats_servers", nats.url()});
  EXPECT_EQ(node->Broadcast(Publication("s", {{"n", 1}}).dump()), 501);
  ASSERT_CONNECTED(c, ConnectWelcomed(*node));
  EXPECT_TRUE(Pongs(c));
}

}  // namespace
}  // namespace cable::testing
