#include "bench/scanner.h"

#include <gtest/gtest.h>

namespace cable::bench {
namespace {

TEST(Scanner, AnyCableControlMessages) {
  EXPECT_EQ(ScanMessage(R"({"type":"welcome","sid":"abc"})").kind, MessageKind::kWelcome);
  EXPECT_EQ(ScanMessage(R"({"type":"ping","message":1709754437})").kind, MessageKind::kPing);
  EXPECT_EQ(
      ScanMessage(R"({"type":"confirm_subscription","identifier":"{\"channel\":\"X\"}"})").kind,
      MessageKind::kConfirm);
  EXPECT_EQ(ScanMessage(R"({"type":"reject_subscription","identifier":"x"})").kind,
            MessageKind::kReject);
  auto d = ScanMessage(R"({"type":"disconnect","reason":"unauthorized","reconnect":false})");
  EXPECT_EQ(d.kind, MessageKind::kDisconnect);
  EXPECT_EQ(d.reason, "unauthorized");
  EXPECT_EQ(ScanMessage(R"({"type":"pong"})").kind, MessageKind::kOther);
}

TEST(Scanner, RailsPutsIdentifierFirst) {
  auto m = ScanMessage(
      R"({"identifier":"{\"channel\":\"BenchmarkChannel\"}","type":"confirm_subscription"})");
  EXPECT_EQ(m.kind, MessageKind::kConfirm);
  auto w = ScanMessage(R"( { "type" : "welcome" } )");
  EXPECT_EQ(w.kind, MessageKind::kWelcome);
}

TEST(Scanner, DataMessageFields) {
  auto m = ScanMessage(
      R"({"identifier":"{\"channel\":\"BenchmarkChannel\",\"ts\":1}","message":{"action":"broadcast","pad":"xxxx","seq":42,"ts":123456789012}})");
  EXPECT_EQ(m.kind, MessageKind::kData);
  ASSERT_TRUE(m.has_seq);
  ASSERT_TRUE(m.has_ts);
  EXPECT_EQ(m.seq, 42);
  EXPECT_EQ(m.ts, 123456789012);  // not the escaped "ts" inside the identifier
  EXPECT_FALSE(m.broadcast_result);
}

TEST(Scanner, BroadcastResultAndStringPayloads) {
  auto r =
      ScanMessage(R"({"identifier":"x","message":{"action":"broadcastResult","seq":3,"ts":9}})");
  EXPECT_TRUE(r.broadcast_result);
  EXPECT_EQ(r.seq, 3);
  // A server that could not parse the data forwards it as a JSON string.
  auto s = ScanMessage(R"({"identifier":"x","message":"{\"seq\":7,\"ts\":11}"})");
  EXPECT_EQ(s.kind, MessageKind::kData);
  EXPECT_TRUE(s.has_seq);
  EXPECT_EQ(s.seq, 7);
  EXPECT_EQ(s.ts, 11);
  // Extended protocol extras do not confuse the scan.
  auto x = ScanMessage(
      R"({"identifier":"x","message":{"seq":1,"ts":2},"stream_id":"all","epoch":"e","offset":5})");
  EXPECT_EQ(x.seq, 1);
  EXPECT_EQ(x.ts, 2);
}

TEST(Scanner, StreamPositions) {
  auto x = ScanMessage(
      R"({"identifier":"x","message":{"offset":99,"seq":1},"stream_id":"all","epoch":"vRXl","offset":32})");
  ASSERT_TRUE(x.has_offset);
  EXPECT_EQ(x.offset, 32u);  // the top-level one, not the payload's
  EXPECT_EQ(x.stream_id, "all");
  EXPECT_EQ(x.epoch, "vRXl");
  auto spaced = ScanMessage(R"({ "message" : {} , "offset" : 7 , "epoch" : "e" })");
  EXPECT_TRUE(spaced.has_offset);
  EXPECT_EQ(spaced.offset, 7u);
  EXPECT_FALSE(ScanMessage(R"({"identifier":"x","message":{"offset":3}})").has_offset);
  EXPECT_FALSE(ScanMessage(R"({"message":{},"offset":"3"})").has_offset);
  EXPECT_FALSE(ScanMessage(R"({"message":{},"offset":-3})").has_offset);
}

TEST(Scanner, WelcomeSessionAndHistoryReplies) {
  auto w = ScanMessage(R"({"type":"welcome","sid":"abc-1"})");
  EXPECT_EQ(w.sid, "abc-1");
  EXPECT_FALSE(w.restored);
  auto r = ScanMessage(
      R"({"type":"welcome","sid":"new","restored":true,"restored_ids":["{\"channel\":\"X\"}"]})");
  EXPECT_EQ(r.kind, MessageKind::kWelcome);
  EXPECT_EQ(r.sid, "new");
  EXPECT_TRUE(r.restored);
  EXPECT_EQ(r.restored_ids, R"(["{\"channel\":\"X\"}"])");
  EXPECT_EQ(ScanMessage(R"({"type":"confirm_history","identifier":"x"})").kind,
            MessageKind::kConfirmHistory);
  EXPECT_EQ(ScanMessage(R"({"identifier":"x","type":"reject_history"})").kind,
            MessageKind::kRejectHistory);
}

TEST(Scanner, DataWithoutNumbersAndGarbage) {
  auto m = ScanMessage(R"({"identifier":"x","message":{"text":"hi"}})");
  EXPECT_EQ(m.kind, MessageKind::kData);
  EXPECT_FALSE(m.has_seq);
  EXPECT_EQ(ScanMessage("not json").kind, MessageKind::kInvalid);
  EXPECT_EQ(ScanMessage("").kind, MessageKind::kInvalid);
  EXPECT_EQ(ScanMessage(R"({"message":{"seq":"12"}})").has_seq, false);
  EXPECT_EQ(ScanMessage(R"({"identifier":"unterminated)").kind, MessageKind::kData);
}

}  // namespace
}  // namespace cable::bench
