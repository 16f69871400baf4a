// Presence without sockets: the record rules of PresenceSet (one member per
// id, join and leave only at the edges, expiry after a disconnect), the
// memory broker around it, and presence on the wire.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "server/broadcast/publication_parser.h"
#include "server/broker/memory_broker.h"
#include "server/presence/presence_set.h"
#include "server/protocol/messages.h"
#include "server/protocol/presence_messages.h"
#include "server/pubsub/pubsub_message.h"

namespace cable::server {
namespace {

using Kind = PresenceEvent::Kind;
using nlohmann::json;

PresenceMember Member(std::string id, std::string info = {}) {
  return {std::move(id), std::move(info)};
}

std::vector<std::string> Ids(const PresenceList& list) {
  std::vector<std::string> out;
  for (const auto& r : list.records) out.push_back(r.id);
  return out;
}

// ------------------------------------------------------------ PresenceSet

TEST(PresenceSet, AJoinIsBroadcastOnlyForAnIdNewToTheStream) {
  PresenceSet set;
  auto first = set.Add("room", "s1", Member("u1", R"({"name":"Ann"})"));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->kind, Kind::kJoin);
  EXPECT_EQ((*first)->id, "u1");
  EXPECT_EQ((*first)->info, R"({"name":"Ann"})");
  // A second tab of the same user: one member, no event.
  auto second = set.Add("room", "s2", Member("u1", R"({"name":"Ann"})"));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->has_value());
  EXPECT_EQ(set.List("room").records.size(), 1u);
  // The same id on another stream is a member there too.
  auto other = set.Add("lobby", "s1", Member("u1"));
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->has_value());
}

TEST(PresenceSet, TheLeaveComesWhenTheIdsLastSessionGoes) {
  PresenceSet set;
  ASSERT_TRUE(set.Add("room", "s1", Member("u1")).ok());
  ASSERT_TRUE(set.Add("room", "s2", Member("u1")).ok());
  auto first = set.Remove("room", "s1");
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->has_value()) << "s2 is still there";
  auto last = set.Remove("room", "s2");
  ASSERT_TRUE(last.ok());
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ((*last)->kind, Kind::kLeave);
  EXPECT_EQ((*last)->id, "u1");
  EXPECT_TRUE(set.List("room").records.empty());
  EXPECT_EQ(set.streams(), 0u);
  EXPECT_EQ(set.sessions(), 0u);
  EXPECT_EQ(set.bytes(), 0u) << "everything accounted for is given back";
}

TEST(PresenceSet, ASessionCannotJoinOneStreamUnderTwoIds) {
  PresenceSet set;
  ASSERT_TRUE(set.Add("room", "s1", Member("u1")).ok());
  auto other = set.Add("room", "s1", Member("u2"));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, presence_codes::kMismatch);
  EXPECT_EQ(other.error().message, "presence ID mismatch");
  EXPECT_EQ(Ids(set.List("room")), std::vector<std::string>{"u1"});
}

TEST(PresenceSet, JoiningAgainRefreshesTheInfoWithoutAnEvent) {
  PresenceSet set;
  ASSERT_TRUE(set.Add("room", "s1", Member("u1", R"({"v":1})")).ok());
  auto again = set.Add("room", "s1", Member("u1", R"({"v":2})"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  EXPECT_EQ(set.List("room").records.at(0).info, R"({"v":2})");
}

TEST(PresenceSet, LeavingWithoutAJoinFails) {
  PresenceSet set;
  auto r = set.Remove("room", "s1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, presence_codes::kNotJoined);
  ASSERT_TRUE(set.Add("lobby", "s1", Member("u1")).ok());
  EXPECT_FALSE(set.Remove("room", "s1").ok()) << "joined elsewhere only";
}

TEST(PresenceSet, ListsMembersInJoinOrder) {
  PresenceSet set;
  for (const char* id : {"c", "a", "b"}) {
    ASSERT_TRUE(set.Add("room", std::string("s-") + id, Member(id)).ok());
  }
  EXPECT_EQ(Ids(set.List("room")), (std::vector<std::string>{"c", "a", "b"}));
  EXPECT_TRUE(set.List("nowhere").records.empty());
}

TEST(PresenceSet, ADisconnectedSessionStaysAMemberUntilItExpires) {
  PresenceSet set;
  ASSERT_TRUE(set.Add("room", "s1", Member("u1")).ok());
  ASSERT_TRUE(set.Add("lobby", "s1", Member("u1")).ok());
  ASSERT_TRUE(set.Add("room", "s2", Member("u2")).ok());
  set.Finish("s1", 100);
  EXPECT_TRUE(set.Expire(99).empty());
  EXPECT_EQ(set.List("room").records.size(), 2u);
  auto leaves = set.Expire(100);
  ASSERT_EQ(leaves.size(), 2u);
  EXPECT_EQ(leaves[0].second.kind, Kind::kLeave);
  EXPECT_EQ(leaves[0].second.id, "u1");
  std::set<std::string> streams{leaves[0].first, leaves[1].first};
  EXPECT_EQ(streams, (std::set<std::string>{"room", "lobby"}));
  EXPECT_EQ(Ids(set.List("room")), std::vector<std::string>{"u2"});
  EXPECT_TRUE(set.Expire(1000).empty()) << "each leave once";
}

TEST(PresenceSet, AReconnectWithinTheTtlCausesNoLeave) {
  PresenceSet set;
  ASSERT_TRUE(set.Add("room", "old", Member("u1")).ok());
  set.Finish("old", 100);
  // The client is back (a new session) before the old one expires.
  auto rejoin = set.Add("room", "new", Member("u1"));
  ASSERT_TRUE(rejoin.ok());
  EXPECT_FALSE(rejoin->has_value());
  EXPECT_TRUE(set.Expire(100).empty());
  EXPECT_EQ(Ids(set.List("room")), std::vector<std::string>{"u1"});
}

TEST(PresenceSet, AFinishedSessionThatHadLeftEverythingIsForgotten) {
  PresenceSet set;
  ASSERT_TRUE(set.Add("room", "s1", Member("u1")).ok());
  ASSERT_TRUE(set.Remove("room", "s1").ok());
  set.Finish("s1", 100);
  EXPECT_TRUE(set.Expire(100).empty());
  EXPECT_EQ(set.sessions(), 0u);
}

TEST(PresenceSet, BytesFollowWhatIsHeld) {
  PresenceSet set;
  ASSERT_TRUE(set.Add("room", "s1", Member("u1", std::string(1000, 'x'))).ok());
  const size_t one = set.bytes();
  EXPECT_GT(one, 1000u);
  ASSERT_TRUE(set.Add("room", "s1", Member("u1", "1")).ok());
  EXPECT_EQ(set.bytes(), one - 999) << "a refreshed info replaces the old one";
  set.Finish("s1", 1);
  set.Expire(1);
  EXPECT_EQ(set.bytes(), 0u);
}

// ----------------------------------------------------------- memory broker

TEST(MemoryBrokerPresence, ExpiredMembersAreHandedToTheSinkOnSweep) {
  int64_t now = 1000;
  BrokerLimits limits;
  limits.presence_ttl_s = 15;
  MemoryBroker broker(limits, "ep", [&now] { return now; });
  std::vector<std::pair<std::string, PresenceEvent>> heard;
  broker.OnPresenceExpired([&](const std::string& stream, PresenceEvent leave) {
    heard.emplace_back(stream, std::move(leave));
  });
  broker.PresenceAdd("room", "s1", Member("u1"), [](auto r) { ASSERT_TRUE(r.ok()); });
  broker.FinishPresence("s1");
  now += 14;
  broker.Sweep();
  EXPECT_TRUE(heard.empty());
  now += 1;
  broker.Sweep();
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(heard[0].first, "room");
  EXPECT_EQ(heard[0].second.id, "u1");
  bool listed = false;
  broker.PresenceInfo("room", [&](Result<PresenceList> r) {
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->records.empty());
    listed = true;
  });
  EXPECT_TRUE(listed);
}

TEST(MemoryBrokerPresence, AFullStoreRefusesJoinsAndRecovers) {
  BrokerLimits limits;
  limits.max_presence_bytes = 4096;
  MemoryBroker broker(limits);
  int refused = 0;
  for (int i = 0; i < 20; ++i) {
    broker.PresenceAdd("room", "s" + std::to_string(i), Member("u" + std::to_string(i), "[1]"),
                       [&](auto r) { refused += r.ok() ? 0 : 1; });
  }
  EXPECT_GT(refused, 0);
  EXPECT_LT(refused, 20);
  for (int i = 0; i < 20; ++i) {
    broker.PresenceRemove("room", "s" + std::to_string(i), [](auto) {});
  }
  bool joined = false;
  broker.PresenceAdd("room", "late", Member("late"), [&](auto r) { joined = r.ok(); });
  EXPECT_TRUE(joined);
}

TEST(BrokerPresence, ABrokerWithoutPresenceSaysSo) {
  struct Minimal : Broker {
    Status Start() override { return Status::Ok(); }
    void Stop() override {}
    std::string Describe() const override { return "minimal"; }
    bool keeps_sessions() const override { return false; }
    void Store(BroadcastPtr, StoreDone) override {}
    void History(std::vector<StreamHistoryQuery>, HistoryDone) override {}
    void SaveSession(const std::string&, std::string) override {}
    void TouchSessions(std::vector<std::string>) override {}
    void FetchSession(const std::string&, SessionDone) override {}
  } broker;
  EXPECT_FALSE(broker.has_presence());
  std::string code;
  broker.PresenceInfo("room", [&](Result<PresenceList> r) { code = r.error().code; });
  EXPECT_EQ(code, presence_codes::kUnsupported);
}

// ------------------------------------------------------------------- wire

TEST(PresenceWire, ParsesAClientsMember) {
  auto m = protocol::ParsePresenceMember(R"({"id":"u1","info":{"name":"Jack","age":3}})");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->id, "u1");
  EXPECT_EQ(json::parse(m->info), json::parse(R"({"name":"Jack","age":3})"));
  auto numeric = protocol::ParsePresenceMember(R"({"id":42})");
  ASSERT_TRUE(numeric.ok());
  EXPECT_EQ(numeric->id, "42");
  EXPECT_EQ(numeric->info, "") << "no info";
}

TEST(PresenceWire, RefusesMembersThatAreNotIdsOrTooLarge) {
  for (const std::string& bad : std::vector<std::string>{
           R"({"info":{}})", R"({"id":""})", R"({"id":null})", R"({"id":{"a":1}})", R"({"id":1.5})",
           R"("u1")", R"({"id":")" + std::string(257, 'x') + R"("})",
           R"({"id":"u","info":")" + std::string(5000, 'x') + R"("})", "{not json",
           std::string(300, '[') + std::string(300, ']')}) {
    auto m = protocol::ParsePresenceMember(bad);
    EXPECT_FALSE(m.ok()) << bad.substr(0, 60);
    if (!m.ok()) {
      EXPECT_EQ(m.error().code, "invalid_presence");
    }
  }
  EXPECT_TRUE(protocol::ParsePresenceMember(R"({"id":")" + std::string(256, 'x') + R"("})").ok());
}

TEST(PresenceWire, RpcInfoIsJsonWhenItParsesAndAStringOtherwise) {
  auto object = protocol::PresenceMemberFromRpc("u1", R"({"name":"Ann"})");
  ASSERT_TRUE(object.ok());
  EXPECT_EQ(object->info, R"({"name":"Ann"})");
  auto text = protocol::PresenceMemberFromRpc("u1", "Ann");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->info, R"("Ann")");
  auto none = protocol::PresenceMemberFromRpc("u1", "");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->info, "");
  EXPECT_FALSE(protocol::PresenceMemberFromRpc("", "{}").ok());
}

TEST(PresenceWire, EventsAndInfoHaveAnycableGosShape) {
  EXPECT_EQ(protocol::PresenceEventData({Kind::kJoin, "u1", R"({"name":"Jack"})"}),
            R"({"type":"join","info":{"name":"Jack"},"id":"u1"})");
  EXPECT_EQ(protocol::PresenceEventData({Kind::kLeave, "u\"1", ""}),
            R"({"type":"leave","id":"u\"1"})");
  PresenceList list{{Member("u1", R"({"a":1})"), Member("u2")}};
  EXPECT_EQ(protocol::PresenceInfoJson(list),
            R"({"type":"info","total":2,"records":[{"info":{"a":1},"id":"u1"},{"id":"u2"}]})");
  EXPECT_EQ(protocol::PresenceInfoJson(list, false), R"({"type":"info","total":2})");
  EXPECT_EQ(protocol::PresenceInfoJson({}), R"({"type":"info","total":0})");
  EXPECT_EQ(protocol::PresenceReply("id", R"({"type":"info","total":0})"),
            R"({"type":"presence","identifier":"id","message":{"type":"info","total":0}})");
  EXPECT_EQ(protocol::PresenceErrorReply("id"),
            R"({"type":"presence","identifier":"id","message":{"type":"error","total":0}})");
}

TEST(PresenceWire, RecordsAreLeftOutOnlyWhenAskedExplicitly) {
  EXPECT_TRUE(protocol::PresenceQueryOmitsRecords(R"({"return_records":false})"));
  EXPECT_FALSE(protocol::PresenceQueryOmitsRecords(R"({"return_records":true})"));
  EXPECT_FALSE(protocol::PresenceQueryOmitsRecords(""));
  EXPECT_FALSE(protocol::PresenceQueryOmitsRecords(R"({"return_records":"no"})"));
  EXPECT_FALSE(protocol::PresenceQueryOmitsRecords("[1"));
}

TEST(PresenceWire, ABroadcastTypeBecomesTheClientMessagesType) {
  EXPECT_EQ(protocol::BroadcastMessage("id", R"({"a":1})", true, {}, "presence"),
            R"({"type":"presence","identifier":"id","message":{"a":1}})");
  EXPECT_EQ(protocol::BroadcastMessage("id", R"({"a":1})", true),
            R"({"identifier":"id","message":{"a":1}})");
  auto parsed = ParsePublication(
      R"({"stream":"s","data":"{}","meta":{"broadcast_type":"presence","transient":true}})");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->broadcasts.at(0)->type, "presence");
  // Between nodes the type travels in meta, as anycable-go's pub/sub has it.
  auto relayed = ParsePublication(EncodeBroadcast(*parsed->broadcasts.at(0)));
  ASSERT_TRUE(relayed.ok());
  EXPECT_EQ(relayed->broadcasts.at(0)->type, "presence");
  EXPECT_TRUE(relayed->broadcasts.at(0)->transient);
  auto too_long = ParsePublication(R"({"stream":"s","data":"{}","meta":{"broadcast_type":")" +
                                   std::string(65, 't') + R"("}})");
  EXPECT_FALSE(too_long.ok());
}

}  // namespace
}  // namespace cable::server
