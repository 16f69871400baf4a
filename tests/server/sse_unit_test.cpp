// The pieces of Server-Sent Events that need no socket: the event encoding
// (types, split data lines, `id:` positions, `retry:`), the framings'
// encoders (what each SSE variant makes of a message or a broadcast, and
// the chunk around it), what a request subscribes to, and the hub keeping
// WebSocket and SSE subscribers of one identifier apart.

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "common/ws/frame.h"
#include "server/hub/hub_shard.h"
#include "server/hub_stand_ins.h"
#include "server/protocol/messages.h"
#include "server/protocol/sse_event.h"
#include "server/session/framing.h"
#include "server/transport/sse_subscribe.h"

namespace cable::server {
namespace {

using hub_testing::S;
using nlohmann::json;

std::string Event(const protocol::SseEvent& e) {
  std::string out;
  protocol::AppendSseEvent(out, e);
  return out;
}

// The event inside one chunk: "<hex size>\r\n<event>\r\n".
std::string Unchunked(const FrameRef& frame) {
  const std::string& b = frame.bytes();
  const size_t eol = b.find("\r\n");
  const size_t size = std::stoul(b.substr(0, eol), nullptr, 16);
  EXPECT_EQ(b.size(), eol + 2 + size + 2) << b;
  EXPECT_EQ(b.substr(b.size() - 2), "\r\n");
  return b.substr(eol + 2, size);
}

TEST(SseEventTest, TypeDataIdAndRetryInAnycableGosOrder) {
  EXPECT_EQ(Event({.data = "x"}), "data: x\n\n");
  EXPECT_EQ(Event({.type = "welcome", .data = "{}"}), "event: welcome\ndata: {}\n\n");
  EXPECT_EQ(Event({.data = "{}", .position = {"chat/1", "ep", 7}}),
            "data: {}\nid: 7/ep/chat/1\n\n");
  EXPECT_EQ(Event({.data = "{}", .position = {"chat", "", 7}}), "data: {}\n\n")
      << "no epoch: no position";
  EXPECT_EQ(Event({.type = "disconnect", .data = "{}", .forbid_reconnect = true}),
            "event: disconnect\ndata: {}\nretry: 31536000000\n\n");
}

TEST(SseEventTest, EveryKindOfLineBreakStartsADataLine) {
  EXPECT_EQ(Event({.data = "a\nb\r\nc\rd\n"}), "data: a\ndata: b\ndata: c\ndata: d\ndata: \n\n");
  EXPECT_EQ(Event({.data = ""}), "data: \n\n");
}

TEST(SseEventTest, LastEventIdIsOffsetEpochStream) {
  protocol::LastEventId id;
  bool bad = false;
  ASSERT_TRUE(protocol::ParseLastEventId("12/ep/chat/1", &id, &bad));
  EXPECT_EQ(id.offset, 12u);
  EXPECT_EQ(id.epoch, "ep");
  EXPECT_EQ(id.stream, "chat/1") << "the stream keeps its own slashes";
  EXPECT_FALSE(protocol::ParseLastEventId("12/ep", &id, &bad));
  EXPECT_FALSE(bad) << "another shape is ignored";
  EXPECT_FALSE(protocol::ParseLastEventId("x/ep/s", &id, &bad));
  EXPECT_TRUE(bad);
  EXPECT_FALSE(protocol::ParseLastEventId("-1/ep/s", &id, &bad));
  EXPECT_TRUE(bad);
}

TEST(FramingTest, MessagesAreTypedUnwrappedOrDroppedByVariant) {
  const std::string welcome = protocol::Welcome("sid1");
  EXPECT_EQ(EncodeMessage(Framing::kWebSocket, welcome).bytes(),
            ws::EncodeFrame(ws::Opcode::kText, welcome));
  EXPECT_EQ(Unchunked(EncodeMessage(Framing::kSseMessage, welcome)),
            "event: welcome\ndata: " + welcome + "\n\n");
  EXPECT_FALSE(EncodeMessage(Framing::kSseMessageRaw, welcome)) << "raw: data events only";
  EXPECT_FALSE(EncodeMessage(Framing::kSseFullRaw, protocol::Ping(1)));

  const std::string transmission = R"({"identifier":"{}","message":{"a":"b\nc"}})";
  EXPECT_EQ(Unchunked(EncodeMessage(Framing::kSseFull, transmission)),
            "data: " + transmission + "\n\n");
  EXPECT_EQ(Unchunked(EncodeMessage(Framing::kSseMessage, transmission)),
            "data: {\"a\":\"b\\nc\"}\n\n");
  EXPECT_EQ(
      Unchunked(EncodeMessage(Framing::kSseMessageRaw, R"({"identifier":"{}","message":"t"})")),
      "data: t\n\n")
      << "a string message goes as its text";
  EXPECT_EQ(Unchunked(EncodeMessage(Framing::kSseFull, protocol::Disconnect("remote", false))),
            "event: disconnect\ndata: " + protocol::Disconnect("remote", false) +
                "\nretry: 31536000000\n\n");
  EXPECT_EQ(Unchunked(EncodeMessage(Framing::kSseFull, protocol::Disconnect("too_slow", true))),
            "event: disconnect\ndata: " + protocol::Disconnect("too_slow", true) + "\n\n");
  EXPECT_EQ(Unchunked(EncodeMessage(Framing::kSseFull, "not json")), "data: not json\n\n");
  EXPECT_EQ(EncodeEnd(Framing::kSseFull, 1000, "x"), "0\r\n\r\n");
  EXPECT_EQ(EncodeEnd(Framing::kWebSocket, 1000, "x"), ws::EncodeClose(1000, "x"));
}

TEST(FramingTest, BroadcastsCarryTheirPositionAndOnlyTheMessageForGet) {
  auto b = MakeBroadcast("chat", R"({"n":1})");
  b->offset = 3;
  b->epoch = "ep";
  const std::string whole = protocol::BroadcastMessage("id1", b->data, true, PositionOf(*b));
  EXPECT_EQ(EncodeBroadcast(Framing::kWebSocket, "id1", *b).bytes(),
            ws::EncodeFrame(ws::Opcode::kText, whole));
  EXPECT_EQ(Unchunked(EncodeBroadcast(Framing::kSseFull, "id1", *b)),
            "data: " + whole + "\nid: 3/ep/chat\n\n");
  EXPECT_EQ(Unchunked(EncodeBroadcast(Framing::kSseMessage, "id1", *b)),
            "data: {\"n\":1}\nid: 3/ep/chat\n\n");
  EXPECT_EQ(Unchunked(EncodeBroadcast(Framing::kSseMessageRaw, "id1", *b)),
            "data: {\"n\":1}\nid: 3/ep/chat\n\n");

  auto presence = MakeBroadcast("chat", R"({"type":"join"})");
  presence->type = "presence";
  EXPECT_FALSE(EncodeBroadcast(Framing::kSseFullRaw, "id1", *presence));
  EXPECT_EQ(Unchunked(EncodeBroadcast(Framing::kSseMessage, "id1", *presence)),
            "event: presence\ndata: " +
                protocol::BroadcastMessage("id1", presence->data, true, {}, "presence") + "\n\n")
      << "typed messages stay whole";
}

TEST(HubFramingTest, EachFramingOfAnIdentifierGetsItsOwnSharedFrame) {
  HubShard hub;
  std::map<Session*, std::vector<FrameRef>> got;
  auto deliver = [&](const Broadcast& b) {
    static const std::string none;
    return hub.DeliverVia(
        b, [](Session*) -> const std::string& { return none; },
        [&](Session* s, const FrameRef& f) { got[s].push_back(f); });
  };
  hub.Add("chat", S(0), "id1");
  hub.Add("chat", S(1), "id1", Framing::kSseMessage);
  hub.Add("chat", S(2), "id1", Framing::kSseMessage);
  hub.Add("chat", S(3), "id1", Framing::kSseFull);
  hub.Add("chat", S(4), "id1", Framing::kSseMessageRaw);
  // Enough identifiers for the index to be built.
  for (size_t i = 5; i < 20; ++i) hub.Add("chat", S(i), "other" + std::to_string(i));
  EXPECT_EQ(deliver(*MakeBroadcast("chat", "hi")), 20u);
  EXPECT_EQ(got[S(0)][0].bytes(),
            ws::EncodeFrame(ws::Opcode::kText, protocol::BroadcastMessage("id1", "hi", false)));
  EXPECT_EQ(Unchunked(got[S(1)][0]), "data: hi\n\n");
  EXPECT_EQ(&got[S(1)][0].bytes(), &got[S(2)][0].bytes()) << "shared within the framing";
  EXPECT_EQ(Unchunked(got[S(3)][0]),
            "data: " + protocol::BroadcastMessage("id1", "hi", false) + "\n\n");

  auto presence = MakeBroadcast("chat", "{}");
  presence->type = "presence";
  got.clear();
  EXPECT_EQ(deliver(*presence), 19u) << "raw SSE skips typed messages";
  EXPECT_EQ(got.count(S(4)), 0u);

  EXPECT_FALSE(hub.Remove("chat", S(1), "id1", Framing::kSseMessage));
  EXPECT_FALSE(hub.Remove("chat", S(0), "id1", Framing::kSseMessage)) << "not in that group";
  got.clear();
  EXPECT_EQ(deliver(*MakeBroadcast("chat", "x")), 19u);
  EXPECT_EQ(got.count(S(1)), 0u);
  EXPECT_EQ(got.count(S(0)), 1u);
}

TEST(SseSubscribeTest, QueryParametersInAnycableGosOrder) {
  auto id = [](const QueryParams& q) {
    auto cmd = SseSubscribeFromQuery(q, "");
    return cmd.ok() ? cmd->identifier : "error: " + cmd.error().code;
  };
  EXPECT_EQ(id({{"identifier", "{\"channel\":\"A\"}"}, {"channel", "B"}}), "{\"channel\":\"A\"}");
  EXPECT_EQ(id({{"channel", "B"}, {"stream", "s"}}), "{\"channel\":\"B\"}");
  EXPECT_EQ(id({{"signed_stream", "x"}, {"stream", "s"}}),
            "{\"channel\":\"$pubsub\",\"stream_name\":\"s\"}");
  EXPECT_EQ(id({{"signed_stream", "x"}, {"turbo_signed_stream_name", "t"}}),
            "{\"channel\":\"$pubsub\",\"signed_stream_name\":\"x\"}");
  EXPECT_EQ(id({{"turbo_signed_stream_name", "t"}}),
            "{\"channel\":\"Turbo::StreamsChannel\",\"signed_stream_name\":\"t\"}");
  EXPECT_EQ(id({{"raw", "1"}}), "error: no_subscription");
}

TEST(SseSubscribeTest, HistoryFromLastEventIdAndSince) {
  auto cmd = SseSubscribeFromQuery({{"stream", "s"}, {"history_since", "1700000000"}}, "5/ep/s");
  ASSERT_TRUE(cmd.ok());
  EXPECT_EQ(json::parse(cmd->history),
            json::parse(R"({"since":1700000000,"streams":{"s":{"offset":5,"epoch":"ep"}}})"));
  auto none = SseSubscribeFromQuery({{"stream", "s"}}, "");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->history, "");
  EXPECT_FALSE(SseSubscribeFromQuery({{"stream", "s"}, {"history_since", "1e9"}}, "").ok());
}

TEST(SseSubscribeTest, BodyLinesMustBeDistinctSubscribes) {
  auto ok = SseSubscribesFromBody(
      "{\"command\":\"subscribe\",\"identifier\":\"a\"}\r\n\n  \n"
      "{\"command\":\"subscribe\",\"identifier\":\"b\",\"history\":{\"since\":1}}");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[1].identifier, "b");
  EXPECT_EQ((*ok)[1].history, "{\"since\":1}");
  EXPECT_TRUE(SseSubscribesFromBody("").ok());
  EXPECT_FALSE(
      SseSubscribesFromBody("{\"command\":\"message\",\"identifier\":\"a\",\"data\":\"{}\"}").ok());
  EXPECT_FALSE(SseSubscribesFromBody("{\"identifier\":\"a\"}").ok());
  EXPECT_FALSE(SseSubscribesFromBody("{\"command\":\"subscribe\",\"identifier\":\"a\"}\n"
                                     "{\"command\":\"subscribe\",\"identifier\":\"a\"}")
                   .ok());
  EXPECT_TRUE(SseRawParam("TRUE"));
  EXPECT_TRUE(SseRawParam("y"));
  EXPECT_FALSE(SseRawParam("0"));
  EXPECT_FALSE(SseRawParam("yes"));
}

}  // namespace
}  // namespace cable::server
