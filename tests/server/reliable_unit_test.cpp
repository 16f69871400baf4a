// The pure pieces of reliable streams: the memory broker (positions,
// history rules, expiry, session snapshots), the history request parser,
// the session snapshot codec, and the wire shapes of positioned messages.
// A clock is injected where time matters, so no test waits.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/broadcast/publication_parser.h"
#include "server/broker/history_rules.h"
#include "server/broker/memory_broker.h"
#include "server/nats/nats_subject.h"
#include "server/protocol/history_request.h"
#include "server/protocol/messages.h"
#include "server/pubsub/pubsub_message.h"
#include "server/session/session_snapshot.h"
#include "server/transport/request_info.h"

namespace cable::server {
namespace {

// A broker with a clock the test moves.
struct Fixture {
  explicit Fixture(size_t limit = 3, int64_t ttl = 60, int64_t sessions_ttl = 100)
      : broker(Limits(limit, ttl, sessions_ttl), "ep01", [this] { return now; }) {}

  static BrokerLimits Limits(size_t limit, int64_t ttl, int64_t sessions_ttl) {
    BrokerLimits l;
    l.history_limit = limit;
    l.history_ttl_s = ttl;
    l.sessions_ttl_s = sessions_ttl;
    return l;
  }

  BroadcastPtr Store(const std::string& stream, const std::string& data) {
    BroadcastPtr out;
    broker.Store(MakeBroadcast(stream, data), [&](Result<BroadcastPtr> r) {
      EXPECT_TRUE(r.ok());
      out = r.value();
    });
    return out;
  }

  Result<std::vector<BroadcastPtr>> History(std::vector<StreamHistoryQuery> q) {
    Result<std::vector<BroadcastPtr>> out = Error{"unset", "unset"};
    broker.History(std::move(q), [&](Result<std::vector<BroadcastPtr>> r) { out = std::move(r); });
    return out;
  }

  Result<std::vector<BroadcastPtr>> From(const std::string& stream, uint64_t offset,
                                         std::string epoch = "ep01") {
    return History({StreamHistoryQuery{stream, StreamPosition{offset, std::move(epoch)}, 0}});
  }

  std::optional<std::string> Session(const std::string& sid) {
    std::optional<std::string> out;
    broker.FetchSession(sid, [&](Result<std::optional<std::string>> r) {
      ASSERT_TRUE(r.ok());
      out = *r;
    });
    return out;
  }

  int64_t now = 1'700'000'000;
  MemoryBroker broker;
};

std::vector<uint64_t> Offsets(const std::vector<BroadcastPtr>& messages) {
  std::vector<uint64_t> out;
  for (const auto& m : messages) out.push_back(m->offset);
  return out;
}

TEST(MemoryBrokerUnitTest, OffsetsStartAtOnePerStreamAndCarryTheEpoch) {
  Fixture f;
  EXPECT_EQ(f.Store("a", "1")->offset, 1u);
  EXPECT_EQ(f.Store("a", "2")->offset, 2u);
  auto b = f.Store("b", "1");
  EXPECT_EQ(b->offset, 1u);
  EXPECT_EQ(b->epoch, "ep01");
  EXPECT_EQ(b->data, "1");
}

TEST(MemoryBrokerUnitTest, ReplaysWhatCameAfterAnOffset) {
  Fixture f;
  for (int i = 1; i <= 3; ++i) f.Store("s", std::to_string(i));
  auto h = f.From("s", 1);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(Offsets(*h), (std::vector<uint64_t>{2, 3}));
  // Up to date: nothing to replay, and not a refusal.
  auto none = f.From("s", 3);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(MemoryBrokerUnitTest, RefusesPositionsItCannotCatchUp) {
  Fixture f(/*limit=*/3);
  for (int i = 1; i <= 5; ++i) f.Store("s", std::to_string(i));  // keeps 3..5
  EXPECT_EQ(f.From("s", 6).error().code, broker_codes::kFutureOffset);
  EXPECT_EQ(f.From("s", 1, "other").error().code, broker_codes::kEpochMismatch);
  EXPECT_EQ(f.From("nope", 1).error().code, broker_codes::kUnknownStream);
  EXPECT_EQ(f.From("s", 1).error().code, broker_codes::kEvicted);  // needs 2, oldest is 3
  auto from_two = f.From("s", 2);                                  // needs 3: still kept
  ASSERT_TRUE(from_two.ok());
  EXPECT_EQ(Offsets(*from_two), (std::vector<uint64_t>{3, 4, 5}));
}

TEST(MemoryBrokerUnitTest, OneFailingStreamFailsTheWholeRequest) {
  Fixture f;
  f.Store("a", "1");
  f.Store("b", "1");
  auto h = f.History({{"a", StreamPosition{0, "ep01"}, 0}, {"b", StreamPosition{9, "ep01"}, 0}});
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.error().message.find("b:"), std::string::npos) << h.error().message;
}

TEST(MemoryBrokerUnitTest, SinceSelectsByStorageTime) {
  Fixture f;
  f.Store("s", "old");
  f.now += 10;
  f.Store("s", "new");
  auto h = f.History({{"s", std::nullopt, f.now}});
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 1u);
  EXPECT_EQ((*h)[0]->data, "new");
  // A stream nothing was sent to has nothing since then: not a refusal.
  auto unknown = f.History({{"other", std::nullopt, f.now}});
  ASSERT_TRUE(unknown.ok());
  EXPECT_TRUE(unknown->empty());
}

TEST(MemoryBrokerUnitTest, ExpiredMessagesGoButTheOffsetCounterStays) {
  Fixture f(/*limit=*/10, /*ttl=*/60);
  f.Store("s", "1");
  f.Store("s", "2");
  f.now += 61;
  f.broker.Sweep();
  // Up to date clients are fine; others missed what expired.
  EXPECT_TRUE(f.From("s", 2).ok());
  EXPECT_EQ(f.From("s", 1).error().code, broker_codes::kEvicted);
  // The stream lives on (10 x ttl): offsets continue instead of restarting.
  EXPECT_EQ(f.Store("s", "3")->offset, 3u);
  f.now += 60 * 10 + 61;
  f.broker.Sweep();
  EXPECT_EQ(f.From("s", 3).error().code, broker_codes::kUnknownStream);
}

TEST(MemoryBrokerUnitTest, SessionsExpireTtlAfterTheLastTouch) {
  Fixture f(3, 60, /*sessions_ttl=*/100);
  f.broker.SaveSession("sid1", "snapshot");
  EXPECT_EQ(f.Session("sid1"), "snapshot");
  f.now += 90;
  f.broker.TouchSessions({"sid1"});
  f.now += 90;
  f.broker.Sweep();
  EXPECT_EQ(f.Session("sid1"), "snapshot");
  f.now += 11;
  EXPECT_EQ(f.Session("sid1"), std::nullopt);  // expired even before a sweep
  f.broker.Sweep();
  EXPECT_EQ(f.Session("unknown"), std::nullopt);
}

TEST(MemoryBrokerUnitTest, SessionCacheIsBoundedInBytes) {
  BrokerLimits limits;
  limits.max_session_bytes = 1000;
  MemoryBroker broker(limits, "ep01");
  for (int i = 0; i < 10; ++i) broker.SaveSession("s" + std::to_string(i), std::string(200, 'x'));
  int kept = 0;
  for (int i = 0; i < 10; ++i) {
    broker.FetchSession("s" + std::to_string(i), [&](Result<std::optional<std::string>> r) {
      if (r.ok() && r->has_value()) ++kept;
    });
  }
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, 10);
}

TEST(MemoryBrokerUnitTest, EpochsAreRandomWhenNotGiven) {
  MemoryBroker a{BrokerLimits{}}, b{BrokerLimits{}};
  EXPECT_EQ(a.epoch().size(), 4u);
  EXPECT_NE(a.epoch(), b.epoch());
}

TEST(HistoryRulesTest, DecideFromLatestAndLowestKept) {
  const StreamPosition at5{5, "e"};
  EXPECT_TRUE(CheckReplayable(at5, "e", true, 5, 0).ok());  // up to date, nothing kept
  EXPECT_TRUE(CheckReplayable(at5, "e", true, 8, 6).ok());
  EXPECT_EQ(CheckReplayable(at5, "e", true, 8, 7).error().code, broker_codes::kEvicted);
  EXPECT_EQ(CheckReplayable(at5, "e", true, 8, 0).error().code, broker_codes::kEvicted);
  EXPECT_EQ(CheckReplayable(at5, "e", true, 4, 1).error().code, broker_codes::kFutureOffset);
  EXPECT_EQ(CheckReplayable(at5, "x", true, 8, 1).error().code, broker_codes::kEpochMismatch);
  EXPECT_EQ(CheckReplayable(at5, "e", false, 0, 0).error().code, broker_codes::kUnknownStream);
}

TEST(HistoryRequestTest, ParsesSinceAndStreams) {
  auto r = protocol::ParseHistoryRequest(
      R"({"since":1681828329,"streams":{"chat_42":{"offset":32,"epoch":"vRXl"}}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->since, 1681828329);
  ASSERT_EQ(r->streams.count("chat_42"), 1u);
  EXPECT_EQ(r->streams.at("chat_42").offset, 32u);
  EXPECT_EQ(r->streams.at("chat_42").epoch, "vRXl");
  // Streams named get their position, the others `since`, in the
  // subscription's order; a stream the request does not cover is skipped
  // when there is no `since`.
  auto q = r->QueriesFor({"other", "chat_42"});
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].stream, "other");
  EXPECT_FALSE(q[0].from.has_value());
  EXPECT_EQ(q[1].from->offset, 32u);
  auto only_streams =
      protocol::ParseHistoryRequest(R"({"streams":{"a":{"offset":0,"epoch":"e"}}})");
  ASSERT_TRUE(only_streams.ok());
  EXPECT_EQ(only_streams->QueriesFor({"b", "a"}).size(), 1u);
}

TEST(HistoryRequestTest, EmptyRequestIsRecognised) {
  auto r = protocol::ParseHistoryRequest("{}");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(HistoryRequestTest, MalformedRequestsAreErrors) {
  for (const char* bad : {
           R"([])",
           R"({"since":"yesterday"})",
           R"({"since":-1})",
           R"({"since":1.5})",
           R"({"streams":[]})",
           R"({"streams":{"a":{"offset":"32","epoch":"e"}}})",
           R"({"streams":{"a":{"offset":-3,"epoch":"e"}}})",
           R"({"streams":{"a":{"offset":1.5,"epoch":"e"}}})",
           R"({"streams":{"a":{"offset":1}}})",
           R"({"streams":{"a":7}})",
           "not json",
       }) {
    auto r = protocol::ParseHistoryRequest(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "invalid_history") << bad;
  }
}

TEST(HistoryRequestTest, TooManyStreamsAreRefused) {
  std::string many = R"({"streams":{)";
  for (size_t i = 0; i < protocol::kMaxHistoryStreams + 1; ++i) {
    many +=
        (i ? "," : "") + std::string("\"s") + std::to_string(i) + R"(":{"offset":1,"epoch":"e"})";
  }
  many += "}}";
  auto r = protocol::ParseHistoryRequest(many);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("at most"), std::string::npos);
}

TEST(SessionSnapshotTest, RoundTripsInSubscriptionOrder) {
  SessionSnapshot s;
  s.identifiers = R"({"user_id":42})";
  s.cstate = {{"locale", "fr"}};
  s.disconnectable = true;
  s.subscriptions.push_back(
      Subscription{"z-first", {"chat_1", "chat_2"}, StateMap{{"$w", "chat_1"}}, false});
  s.subscriptions.push_back(Subscription{"a-second", {}, {}, false});
  auto json = EncodeSessionSnapshot(s);
  auto back = DecodeSessionSnapshot(json);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->identifiers, s.identifiers);
  EXPECT_EQ(back->cstate, s.cstate);
  EXPECT_TRUE(back->disconnectable);
  ASSERT_EQ(back->subscriptions.size(), 2u);
  EXPECT_EQ(back->subscriptions[0].identifier, "z-first");
  EXPECT_EQ(back->subscriptions[0].streams, (std::vector<std::string>{"chat_1", "chat_2"}));
  EXPECT_EQ(back->subscriptions[0].istate.get().at("$w"), "chat_1");
}

TEST(SessionSnapshotTest, ReadsAnycableGoCacheEntries) {
  // The shape anycable-go's session writes (node/session.go cacheEntry).
  auto r = DecodeSessionSnapshot(
      R"({"ids":"{\"uid\":\"1\"}","subs":{"{\"channel\":\"C\"}":["s1"]},)"
      R"("cstate":{"k":"v"},"istate":{"{\"channel\":\"C\"}":{"x":"y"}},"Disconnectable":false})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->identifiers, R"({"uid":"1"})");
  ASSERT_EQ(r->subscriptions.size(), 1u);
  EXPECT_EQ(r->subscriptions[0].istate.get().at("x"), "y");
  EXPECT_FALSE(r->disconnectable);
  // Go writes null for empty maps.
  EXPECT_TRUE(DecodeSessionSnapshot(R"({"ids":"","subs":null,"cstate":null,"istate":null})").ok());
}

TEST(SessionSnapshotTest, GarbageNeverRestores) {
  for (const char* bad : {"", "null", "[]", R"({"subs":{}})", R"({"ids":1})",
                          R"({"ids":"x","subs":{"a":"s"}})", R"({"ids":"x","subs":{"a":[1]}})",
                          R"({"ids":"x","cstate":{"k":1}})", R"({"ids":"x","subs":[]})"}) {
    EXPECT_FALSE(DecodeSessionSnapshot(bad).ok()) << bad;
  }
}

TEST(PositionedMessagesTest, PositionFollowsTheMessageAsAnycableGoWritesIt) {
  EXPECT_EQ(
      protocol::BroadcastMessage("id", R"({"a":1})", true, {"chat_42", "vRXl", 32}),
      R"({"identifier":"id","message":{"a":1},"stream_id":"chat_42","epoch":"vRXl","offset":32})");
  // No epoch: no position fields at all.
  EXPECT_EQ(protocol::BroadcastMessage("id", "x", false, {"chat_42", "", 0}),
            R"({"identifier":"id","message":"x"})");
  EXPECT_EQ(
      protocol::WelcomeRestored("new", {"a", R"({"channel":"C"})"}),
      R"({"type":"welcome","sid":"new","restored":true,"restored_ids":["a","{\"channel\":\"C\"}"]})");
  EXPECT_EQ(protocol::ConfirmHistory("i"), R"({"type":"confirm_history","identifier":"i"})");
  EXPECT_EQ(protocol::RejectHistory("i"), R"({"type":"reject_history","identifier":"i"})");
}

TEST(PositionedMessagesTest, PubSubCarriesPositionsAndTransience) {
  auto b = MakeBroadcast("s", "d", "sid1");
  b->offset = 7;
  b->epoch = "ep";
  auto parsed = ParsePublication(EncodeBroadcast(*b));
  ASSERT_TRUE(parsed.ok());
  const Broadcast& back = *parsed->broadcasts[0];
  EXPECT_EQ(back.offset, 7u);
  EXPECT_EQ(back.epoch, "ep");
  EXPECT_EQ(back.exclude_socket, "sid1");
  EXPECT_FALSE(back.transient);

  auto t = ParsePublication(R"({"stream":"s","data":"d","meta":{"transient":true}})");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->broadcasts[0]->transient);
  EXPECT_NE(EncodeBroadcast(*t->broadcasts[0]).find(R"("transient":true)"), std::string::npos);
  // A position needs both fields.
  auto half = ParsePublication(R"({"stream":"s","data":"d","offset":3})");
  ASSERT_TRUE(half.ok());
  EXPECT_EQ(half->broadcasts[0]->offset, 0u);
}

TEST(NatsSubjectTest, PlainNamesStayAndUnusableOnesAreEncoded) {
  EXPECT_EQ(NatsSubjectFor("chat/42"), "chat/42");
  EXPECT_EQ(NatsSubjectFor("a.b.c"), "a.b.c");
  for (const char* bad : {"with space", "a..b", ".a", "a.", "a.*.b", ">", "a.>", "", "tab\t"}) {
    const std::string subject = NatsSubjectFor(bad);
    EXPECT_EQ(subject.rfind("_ac_subject_=", 0), 0u) << bad;
    EXPECT_EQ(subject.find_first_of(" .*>\t"), std::string::npos) << bad;
  }
  EXPECT_NE(NatsSubjectFor("a b"), NatsSubjectFor("a  b"));
}

TEST(RestoreSidTest, HeaderWinsAndHostileValuesAreDropped) {
  EXPECT_EQ(RestoreSid("fromheader", "fromquery"), "fromheader");
  EXPECT_EQ(RestoreSid("", "fromquery"), "fromquery");
  EXPECT_EQ(RestoreSid("", std::string(129, 'a')), "");
  EXPECT_EQ(RestoreSid("", std::string(1 << 20, 'a')), "");
  EXPECT_EQ(RestoreSid("", "a b"), "");
  EXPECT_EQ(RestoreSid("", "a\nb"), "");
  EXPECT_EQ(RandomSid().size(), 22u);
  EXPECT_NE(RandomSid(), RandomSid());
}

}  // namespace
}  // namespace cable::server
