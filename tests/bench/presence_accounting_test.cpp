// The presence scenario's bookkeeping without sockets: member ids and
// commands, the scanner's view of presence messages, the board of actions,
// the ledger of what each member must see, and the verdict on each event a
// member receives.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bench/presence_board.h"
#include "bench/presence_ledger.h"
#include "bench/presence_receipt.h"
#include "bench/presence_wire.h"
#include "bench/scanner.h"

namespace cable::bench {
namespace {

using nlohmann::json;

constexpr std::string_view kTag = "t3st01";

std::string Id(int client, uint32_t epoch) {
  std::string id;
  AppendMemberId(id, kTag, client, epoch);
  return id;
}

// The event a server sends for (client, epoch), as a scanned message.
struct Event {
  std::string text;
  ScannedMessage m;
  Event(const std::string& type, int client, uint32_t epoch, std::string info = "") {
    json msg = {{"type", type}, {"id", Id(client, epoch)}};
    if (type == "join") {
      msg["info"] = info.empty() ? json{{"n", client}} : json::parse(info);
    }
    text = json{{"type", "presence"}, {"identifier", "{\"channel\":\"$pubsub\"}"}, {"message", msg}}
               .dump();
    m = ScanMessage(text);
  }
};

TEST(PresenceWire, MemberIdsRoundTrip) {
  MemberId id;
  ASSERT_EQ(ParseMemberId(Id(17, 3), kTag, &id), IdMatch::kOurs);
  EXPECT_EQ(id.client, 17);
  EXPECT_EQ(id.epoch, 3u);
  EXPECT_EQ(Id(0, 0), "t3st01.0.0");
  ASSERT_EQ(ParseMemberId("t3st01.2147483647.4294967295", kTag, &id), IdMatch::kOurs);
  EXPECT_EQ(id.client, 2147483647);
  EXPECT_EQ(id.epoch, 4294967295u);
}

TEST(PresenceWire, OtherRunsAndMalformedIds) {
  MemberId id;
  EXPECT_EQ(ParseMemberId("zzzzzz.1.0", kTag, &id), IdMatch::kForeign);
  EXPECT_EQ(ParseMemberId("u1", kTag, &id), IdMatch::kForeign);
  EXPECT_EQ(ParseMemberId("t3st01", kTag, &id), IdMatch::kForeign);
  EXPECT_EQ(ParseMemberId("t3st01x.1.0", kTag, &id), IdMatch::kForeign);
  EXPECT_EQ(ParseMemberId("t3st01.1", kTag, &id), IdMatch::kInvalid);
  EXPECT_EQ(ParseMemberId("t3st01.1.", kTag, &id), IdMatch::kInvalid);
  EXPECT_EQ(ParseMemberId("t3st01.a.0", kTag, &id), IdMatch::kInvalid);
  EXPECT_EQ(ParseMemberId("t3st01.1.0.9", kTag, &id), IdMatch::kInvalid);
  EXPECT_EQ(ParseMemberId("t3st01.99999999999.0", kTag, &id), IdMatch::kInvalid);
  EXPECT_EQ(ParseMemberId("t3st01.3000000000.0", kTag, &id), IdMatch::kInvalid);
}

TEST(PresenceWire, RunTagsDiffer) {
  std::string a = NewRunTag(), b = NewRunTag();
  EXPECT_EQ(a.size(), 6u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find('.'), std::string::npos);
}

TEST(PresenceWire, CommandsAreTheProtocolsJson) {
  const std::string escaped = R"({\"channel\":\"$pubsub\",\"stream_name\":\"room\"})";
  const std::string identifier = R"({"channel":"$pubsub","stream_name":"room"})";
  std::string out;
  AppendJoinCommand(out, escaped, kTag, 5, 2);
  EXPECT_EQ(json::parse(out), (json{{"command", "join"},
                                    {"identifier", identifier},
                                    {"presence", {{"id", "t3st01.5.2"}, {"info", {{"n", 5}}}}}}));
  out.clear();
  AppendSubscribeWithPresence(out, escaped, kTag, 6, 0);
  EXPECT_EQ(json::parse(out), (json{{"command", "subscribe"},
                                    {"identifier", identifier},
                                    {"presence", {{"id", "t3st01.6.0"}, {"info", {{"n", 6}}}}}}));
  out.clear();
  AppendLeaveCommand(out, escaped);
  EXPECT_EQ(json::parse(out), (json{{"command", "leave"}, {"identifier", identifier}}));
  out.clear();
  AppendPresenceQuery(out, escaped);
  EXPECT_EQ(json::parse(out), (json{{"command", "presence"},
                                    {"identifier", identifier},
                                    {"data", {{"return_records", true}}}}));
}

TEST(PresenceScanner, JoinLeaveAndInfo) {
  auto join = ScanMessage(
      R"({"type":"presence","identifier":"{\"channel\":\"$pubsub\",\"id\":\"x\"}","message":{"type":"join","info":{"n":4,"name":"a"},"id":"t3st01.4.0"}})");
  EXPECT_EQ(join.kind, MessageKind::kPresence);
  EXPECT_EQ(join.presence_type, "join");
  EXPECT_EQ(join.presence_id, "t3st01.4.0");
  EXPECT_EQ(join.presence_info, R"({"n":4,"name":"a"})");

  // Any key order, any spacing, identifier last.
  auto leave = ScanMessage(
      R"({ "message" : { "id" : "t3st01.4.0" , "type" : "leave" } , "type" : "presence", "identifier":"x" })");
  EXPECT_EQ(leave.kind, MessageKind::kPresence);
  EXPECT_EQ(leave.presence_type, "leave");
  EXPECT_EQ(leave.presence_id, "t3st01.4.0");
  EXPECT_TRUE(leave.presence_info.empty());

  auto info = ScanMessage(
      R"({"type":"presence","identifier":"x","message":{"type":"info","total":1,"records":[{"info":{"n":1},"id":"t3st01.1.0"}]}})");
  EXPECT_EQ(info.kind, MessageKind::kPresence);
  EXPECT_EQ(info.presence_type, "info");
  EXPECT_TRUE(info.presence_id.empty()) << "the records' ids are not the message's";
  EXPECT_EQ(json::parse(info.message)["total"], 1);
}

TEST(PresenceBoard, NumbersActionsPerStreamAndDropsApart) {
  PresenceBoard board(10, 2);
  EXPECT_EQ(board.Record(0, 0, 0, PresenceAction::kJoin, 100), 0);
  EXPECT_EQ(board.Record(2, 0, 0, PresenceAction::kJoin, 110), 1);
  EXPECT_EQ(board.Record(1, 1, 0, PresenceAction::kJoin, 120), 0) << "another stream";
  EXPECT_EQ(board.Record(0, 0, 0, PresenceAction::kLeave, 130), 2);
  EXPECT_EQ(board.Record(2, 0, 0, PresenceAction::kDrop, 140), 0) << "drops are numbered apart";
  EXPECT_EQ(board.prompt_actions(0), 3);
  EXPECT_EQ(board.drop_actions(0), 1);

  PresenceBoard::Entry e;
  ASSERT_TRUE(board.Lookup(0, 0, true, &e));
  EXPECT_EQ(e.action, PresenceAction::kJoin);
  EXPECT_EQ(e.number, 0);
  EXPECT_EQ(e.t_ns, 100);
  ASSERT_TRUE(board.Lookup(0, 0, false, &e));
  EXPECT_EQ(e.action, PresenceAction::kLeave);
  EXPECT_EQ(e.number, 2);
  ASSERT_TRUE(board.Lookup(2, 0, false, &e));
  EXPECT_EQ(e.action, PresenceAction::kDrop);
  EXPECT_EQ(e.t_ns, 140);
}

TEST(PresenceBoard, NothingForActionsNeverTakenOrLongSuperseded) {
  PresenceBoard board(4, 1);
  PresenceBoard::Entry e;
  EXPECT_FALSE(board.Lookup(1, 0, true, &e));
  board.Record(1, 0, 0, PresenceAction::kJoin, 10);
  EXPECT_FALSE(board.Lookup(1, 0, false, &e)) << "joined, never left";
  EXPECT_FALSE(board.Lookup(1, 1, true, &e)) << "another epoch";
  EXPECT_FALSE(board.Lookup(-1, 0, true, &e));
  EXPECT_FALSE(board.Lookup(4, 0, true, &e));
  // Epoch kEpochs reuses epoch 0's slots.
  board.Record(1, 0, PresenceBoard::kEpochs, PresenceAction::kJoin, 20);
  EXPECT_FALSE(board.Lookup(1, 0, true, &e));
  ASSERT_TRUE(board.Lookup(1, PresenceBoard::kEpochs, true, &e));
  EXPECT_EQ(e.t_ns, 20);
}

TEST(PresenceLedger, EventsFromTheSubscriptionOnLessOwnActions) {
  PresenceLedger ledger(2);
  for (int64_t t : {10, 20, 30, 40}) ledger.Add({0, false, t});
  ledger.Add({1, false, 25});
  ledger.Add({0, true, 35});
  ledger.Seal();
  EXPECT_EQ(ledger.actions(), 6);
  // Subscribed at 20 with its own join at 20: sees 30 and 40.
  EXPECT_EQ(ledger.ExpectedPrompt(0, 20, 1), 2);
  EXPECT_EQ(ledger.ExpectedPrompt(0, 0, 0), 4) << "never subscribed: everything is missed";
  EXPECT_EQ(ledger.ExpectedPrompt(0, 41, 0), 0);
  EXPECT_EQ(ledger.ExpectedPrompt(0, 41, 1), 0) << "never negative";
  EXPECT_EQ(ledger.ExpectedPrompt(1, 0, 0), 1);
  EXPECT_EQ(ledger.ExpectedDrops(0, 30), 1);
  EXPECT_EQ(ledger.ExpectedDrops(0, 36), 0);
  EXPECT_EQ(ledger.ExpectedDrops(1, 0), 0);
}

// A member of stream 0 (client 0) among clients spread over 2 streams.
struct PresenceReceiptTest : ::testing::Test {
  PresenceBoard board{20, 2};
  PresenceMember me;
  PresenceReceiptTest() {
    me.required = true;
    me.subscribed_ns = 1000;
  }
  Receipt Receive(const Event& e, int64_t now_ns = 5000) {
    return AccountPresenceEvent(me, 0, 2, board, kTag, e.m, now_ns);
  }
};

TEST_F(PresenceReceiptTest, AJoinAfterTheSubscriptionCountsOnceWithItsLatency) {
  board.Record(2, 0, 0, PresenceAction::kJoin, 1500);
  Receipt r = Receive(Event("join", 2, 0), 4000);
  EXPECT_EQ(r.verdict, ReceiptVerdict::kCounted);
  EXPECT_EQ(r.action, PresenceAction::kJoin);
  EXPECT_EQ(r.latency_ns, 2500);
  EXPECT_TRUE(r.info_ok);
  EXPECT_EQ(me.counted, 1u);
  EXPECT_EQ(Receive(Event("join", 2, 0)).verdict, ReceiptVerdict::kDuplicate);
  EXPECT_EQ(me.counted, 1u);
}

TEST_F(PresenceReceiptTest, LeavesAndDropsAreAccountedApart) {
  board.Record(2, 0, 0, PresenceAction::kJoin, 1500);
  board.Record(2, 0, 0, PresenceAction::kLeave, 1600);
  board.Record(4, 0, 0, PresenceAction::kJoin, 1700);
  board.Record(4, 0, 0, PresenceAction::kDrop, 1800);
  Receipt leave = Receive(Event("leave", 2, 0));
  EXPECT_EQ(leave.verdict, ReceiptVerdict::kCounted);
  EXPECT_EQ(leave.action, PresenceAction::kLeave);
  Receipt drop = Receive(Event("leave", 4, 0), 9800);
  EXPECT_EQ(drop.verdict, ReceiptVerdict::kCounted);
  EXPECT_EQ(drop.action, PresenceAction::kDrop);
  EXPECT_EQ(drop.latency_ns, 8000);
  EXPECT_EQ(me.counted, 1u);
  EXPECT_EQ(me.counted_drops, 1u);
  // Drop number 0 and leave number 1 live in separate sequences: neither
  // is taken for a copy of the other.
  EXPECT_EQ(Receive(Event("join", 4, 0)).verdict, ReceiptVerdict::kCounted);
  EXPECT_EQ(Receive(Event("leave", 4, 0)).verdict, ReceiptVerdict::kDuplicate);
}

TEST_F(PresenceReceiptTest, EventsTheMemberDidNotHaveToSee) {
  board.Record(2, 0, 0, PresenceAction::kJoin, 900);  // before the subscription
  EXPECT_EQ(Receive(Event("join", 2, 0)).verdict, ReceiptVerdict::kBonus);
  EXPECT_EQ(me.counted, 0u);
  me.required = false;  // e.g. it churns by disconnecting
  board.Record(6, 0, 0, PresenceAction::kJoin, 2000);
  Receipt r = Receive(Event("join", 6, 0), 2500);
  EXPECT_EQ(r.verdict, ReceiptVerdict::kBonus);
  EXPECT_EQ(r.latency_ns, 500) << "still timed: another member saw it";
  EXPECT_EQ(me.counted, 0u);
}

TEST_F(PresenceReceiptTest, OwnForeignUnknownAndInvalid) {
  board.Record(0, 0, 0, PresenceAction::kJoin, 1000);
  EXPECT_EQ(Receive(Event("join", 0, 0)).verdict, ReceiptVerdict::kOwn);
  // Joined, never left: a leave nobody took.
  board.Record(2, 0, 0, PresenceAction::kJoin, 1100);
  EXPECT_EQ(Receive(Event("leave", 2, 0)).verdict, ReceiptVerdict::kUnknown);
  // Client 3 belongs to stream 1: its events have no business here.
  board.Record(3, 1, 0, PresenceAction::kJoin, 1200);
  EXPECT_EQ(Receive(Event("join", 3, 0)).verdict, ReceiptVerdict::kUnknown);
  EXPECT_EQ(Receive(Event("join", 8, 0)).verdict, ReceiptVerdict::kUnknown) << "never joined";

  Event foreign("join", 2, 0);
  foreign.m.presence_id = "abcdef.2.0";
  EXPECT_EQ(Receive(foreign).verdict, ReceiptVerdict::kForeign);
  Event invalid("join", 2, 0);
  invalid.m.presence_id = "t3st01.2";
  EXPECT_EQ(Receive(invalid).verdict, ReceiptVerdict::kInvalid);
  Event info("join", 2, 0);
  info.m.presence_type = "info";
  EXPECT_EQ(Receive(info).verdict, ReceiptVerdict::kNotAnEvent);
  EXPECT_EQ(me.counted, 0u);
}

TEST_F(PresenceReceiptTest, AJoinMustCarryTheInfoItWasSentWith) {
  board.Record(2, 0, 0, PresenceAction::kJoin, 1500);
  board.Record(4, 0, 0, PresenceAction::kJoin, 1500);
  board.Record(6, 0, 0, PresenceAction::kJoin, 1500);
  EXPECT_FALSE(Receive(Event("join", 2, 0, R"({"n":3})")).info_ok);
  EXPECT_FALSE(Receive(Event("join", 4, 0, R"({"name":"x"})")).info_ok);
  EXPECT_TRUE(Receive(Event("join", 6, 0, R"({ "n" : 6 })")).info_ok);
}

}  // namespace
}  // namespace cable::bench
