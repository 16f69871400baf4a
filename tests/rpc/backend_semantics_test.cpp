// Step semantics of the definition format, the benchmark and demo
// definitions, over gRPC.

#include <gmock/gmock.h>

#include "rpc_fixture.h"

namespace cable::rpc::testing {
namespace {

using ::testing::ElementsAre;

constexpr char kDefs[] = R"(
connections:
  - name: token
    when: {headers.authorization: {starts_with: "Bearer "}}
    identifiers: {user: "{{headers.authorization}}", sid: "{{sid}}"}
    state: {visits: 1, since: "{{query.t}}"}
    on_disconnect:
      - broadcast: {stream: presence, message: {gone: "{{identifiers.sid}}", visits: "{{state.visits}}"}}
  - name: blocked
    when: {query.blocked: {present: true}}
    reject: true
channels:
  Steps:
    on_subscribe:
      - if: {params.mode: quiet}
        then:
          - stream_from: quiet
        else:
          - stream_from: ["loud/{{params.room}}", extra]
          - transmit: {hello: "{{identifiers.user}}", n: "{{params.n}}"}
      - set: {counter: 10, tags: [a, b]}
    actions:
      bump:
        - increment: {counter: "{{data.by}}"}
        - transmit: "{{state.counter}}"
      bad_bump:
        - increment: {tags: 1}
      forget:
        - unset: counter
      reset:
        - stream_from: temp
        - stop_all_streams: true
        - stream_from: fresh
      swap:
        - stop_stream_from: extra
        - stream_from: other
      kick:
        - transmit: bye
        - disconnect: true
      shout:
        - broadcast: {stream: "loud/{{params.room}}", message: "{{data.text}}", to_others: true}
      whoami:
        - transmit: {cstate: "{{cstate.visits}}", channel: "{{channel}}", id: "{{identifier}}"}
      extended:
        - set: {$w: "whispers/{{params.room}}", $p: "presence/{{params.room}}", n: "x"}
)";

class Semantics : public ::testing::Test {
 protected:
  Semantics() : rpc_({Source{"semantics.yml", kDefs}}) {}
  RpcFixture rpc_;
  const std::string id_ = R"({"channel":"Steps","room":"r1","n":5})";
};

TEST_F(Semantics, ConnectIdentifiersAndStateAreTyped) {
  auto res = rpc_.Connect("http://h/cable?t=42", {{"authorization", "Bearer x"}}, "s-9");
  EXPECT_EQ(res.status(), anycable::SUCCESS);
  EXPECT_EQ(res.identifiers(), R"({"user":"Bearer x","sid":"s-9"})");
  EXPECT_EQ(Map(res.env().cstate()),
            (std::map<std::string, std::string>{{"since", R"("42")"}, {"visits", "1"}}));
  auto blocked = rpc_.Connect("http://h/cable?blocked=1");
  EXPECT_EQ(blocked.status(), anycable::FAILURE);
  EXPECT_NE(blocked.error_msg().find("'blocked'"), std::string::npos);
}

TEST_F(Semantics, IfElseAndTypedTransmit) {
  RpcFixture::CommandArgs a;
  a.identifier = id_;
  a.identifiers = R"({"user":"ann"})";
  auto res = rpc_.Command(a);
  EXPECT_THAT(List(res.streams()), ElementsAre("loud/r1", "extra"));
  ASSERT_EQ(res.transmissions_size(), 2);
  EXPECT_EQ(Json::parse(res.transmissions(0))["message"].dump(), R"({"hello":"ann","n":5})");
  EXPECT_EQ(Map(res.env().istate()),
            (std::map<std::string, std::string>{{"counter", "10"}, {"tags", R"(["a","b"])"}}));
  auto quiet = rpc_.Subscribe(R"({"channel":"Steps","mode":"quiet"})");
  EXPECT_THAT(List(quiet.streams()), ElementsAre("quiet"));
}

TEST_F(Semantics, IncrementUnsetAndErrors) {
  std::map<std::string, std::string> state = {{"counter", "10"}, {"tags", R"(["a"])"}};
  auto bump = rpc_.Perform(id_, R"({"action":"bump","by":2.5})", state);
  EXPECT_EQ(bump.status(), anycable::SUCCESS) << bump.error_msg();
  EXPECT_EQ(Json::parse(bump.transmissions(0))["message"], Json(12.5));
  auto text = rpc_.Perform(id_, R"({"action":"bump","by":"2"})", state);
  EXPECT_EQ(Json::parse(text.transmissions(0))["message"], Json(12));
  auto bad = rpc_.Perform(id_, R"({"action":"bump","by":"x"})", state);
  EXPECT_EQ(bad.status(), anycable::ERROR);
  EXPECT_NE(bad.error_msg().find("semantics.yml:"), std::string::npos) << bad.error_msg();
  EXPECT_NE(bad.error_msg().find("not a number"), std::string::npos) << bad.error_msg();
  EXPECT_TRUE(bad.transmissions().empty());
  auto bad2 = rpc_.Perform(id_, R"({"action":"bad_bump"})", state);
  EXPECT_NE(bad2.error_msg().find(R"(state.tags is ["a"])"), std::string::npos) << bad2.error_msg();
  auto forget = rpc_.Perform(id_, R"({"action":"forget"})", state);
  // An empty string deletes the key on the server.
  EXPECT_EQ(Map(forget.env().istate()), (std::map<std::string, std::string>{{"counter", ""}}));
  // State written by another backend as plain strings is read as strings.
  auto plain = rpc_.Perform(id_, R"({"action":"bump","by":1})", {{"counter", "7"}});
  EXPECT_EQ(Json::parse(plain.transmissions(0))["message"], Json(8));
}

// The extended protocol's keys are read by the server as stream names.
TEST_F(Semantics, ServerStateKeysAreWrittenAsPlainStrings) {
  auto r = rpc_.Perform(id_, R"({"action":"extended"})", {});
  EXPECT_EQ(r.status(), anycable::SUCCESS) << r.error_msg();
  EXPECT_EQ(Map(r.env().istate()),
            (std::map<std::string, std::string>{
                {"$p", "presence/r1"}, {"$w", "whispers/r1"}, {"n", R"("x")"}}));
}

TEST_F(Semantics, StreamStepsFollowSequentialMeaning) {
  auto reset = rpc_.Perform(id_, R"({"action":"reset"})");
  EXPECT_TRUE(reset.stop_streams());
  EXPECT_THAT(List(reset.streams()), ElementsAre("fresh"));
  auto swap = rpc_.Perform(id_, R"({"action":"swap"})");
  EXPECT_FALSE(swap.stop_streams());
  EXPECT_THAT(List(swap.stopped_streams()), ElementsAre("extra"));
  EXPECT_THAT(List(swap.streams()), ElementsAre("other"));
}

TEST_F(Semantics, DisconnectFlag) {
  auto kick = rpc_.Perform(id_, R"({"action":"kick"})");
  EXPECT_EQ(kick.status(), anycable::SUCCESS);
  EXPECT_TRUE(kick.disconnect());
  EXPECT_EQ(kick.transmissions_size(), 1);
}

TEST_F(Semantics, BroadcastToOthersCarriesSid) {
  rpc_.TakeBroadcasts();
  RpcFixture::CommandArgs a;
  a.command = "message";
  a.identifier = id_;
  a.data = R"({"action":"shout","text":{"x":1}})";
  a.sid = "me";
  rpc_.Command(a);
  EXPECT_THAT(
      rpc_.TakeBroadcasts(),
      ElementsAre(R"({"stream":"loud/r1","data":"{\"x\":1}","meta":{"exclude_socket":"me"}})"));
}

TEST_F(Semantics, CstateChannelAndIdentifierRoots) {
  RpcFixture::CommandArgs a;
  a.command = "message";
  a.identifier = id_;
  a.data = R"({"action":"whoami"})";
  a.cstate = {{"visits", "3"}};
  auto res = rpc_.Command(a);
  ASSERT_EQ(res.transmissions_size(), 1);
  EXPECT_EQ(Json::parse(res.transmissions(0))["message"],
            Json({{"cstate", 3}, {"channel", "Steps"}, {"id", id_}}));
}

TEST_F(Semantics, ConnectionOnDisconnect) {
  rpc_.TakeBroadcasts();
  anycable::DisconnectRequest req;
  auto res = rpc_.Disconnect(R"({"user":"Bearer x","sid":"s-9"})", {}, {}, "http://h/cable",
                             {{"authorization", "Bearer x"}});
  EXPECT_EQ(res.status(), anycable::SUCCESS);
  // cstate was not sent: visits is missing (null).
  EXPECT_THAT(rpc_.TakeBroadcasts(),
              ElementsAre(R"({"stream":"presence","data":"{\"gone\":\"s-9\",\"visits\":null}"})"));
}

// Built-in benchmark and demo --------------------------------------------------

TEST(BenchmarkBackend, EchoAndBroadcast) {
  RpcFixture rpc({SourceFile("scenarios/backend/benchmark.yml")});
  std::string id = R"({"channel":"BenchmarkChannel"})";
  EXPECT_THAT(List(rpc.Subscribe(id).streams()), ElementsAre("all"));
  EXPECT_THAT(List(rpc.Subscribe(R"({"channel":"BenchmarkChannel","id":7})").streams()),
              ElementsAre("all7"));
  std::string payload = R"({"action":"echo","payload":{"sendTime":123,"padding":"xx"}})";
  auto echo = rpc.Perform(id, payload);
  ASSERT_EQ(echo.transmissions_size(), 1);
  EXPECT_EQ(echo.transmissions(0),
            R"({"identifier":)" + Json(id).dump() + ",\"message\":" + payload + "}");
  rpc.TakeBroadcasts();
  auto bc = rpc.Perform(id, R"({"action":"broadcast","payload":{"n":1}})");
  EXPECT_THAT(
      rpc.TakeBroadcasts(),
      ElementsAre(R"({"stream":"all","data":"{\"action\":\"broadcast\",\"payload\":{\"n\":1}}"})"));
  ASSERT_EQ(bc.transmissions_size(), 1);
  EXPECT_EQ(Json::parse(bc.transmissions(0))["message"].dump(),
            R"({"action":"broadcastResult","payload":{"n":1}})");
}

TEST(DemoBackend, ChatRoom) {
  RpcFixture rpc({SourceFile("scenarios/backend/demo.yml")});
  EXPECT_EQ(rpc.Connect("http://h/cable").status(), anycable::FAILURE);
  EXPECT_EQ(rpc.Connect("http://h/cable", {{"cookie", "user=bob"}}).identifiers(),
            R"({"user":"bob"})");
  auto conn = rpc.Connect("http://h/cable?user=alice");
  ASSERT_EQ(conn.identifiers(), R"({"user":"alice"})");

  std::string id = R"({"channel":"ChatChannel","room":"lobby"})";
  rpc.TakeBroadcasts();
  RpcFixture::CommandArgs a;
  a.identifier = id;
  a.identifiers = conn.identifiers();
  a.sid = "s1";
  auto sub = rpc.Command(a);
  EXPECT_EQ(sub.status(), anycable::SUCCESS);
  EXPECT_THAT(List(sub.streams()), ElementsAre("chat/lobby"));
  EXPECT_EQ(Map(sub.env().istate()).at("$w"), "chat/lobby");  // the room may whisper
  EXPECT_THAT(
      rpc.TakeBroadcasts(),
      ElementsAre(
          R"({"stream":"chat/lobby","data":"{\"type\":\"join\",\"user\":\"alice\"}","meta":{"exclude_socket":"s1"}})"));
  EXPECT_EQ(rpc.Subscribe(R"({"channel":"ChatChannel"})").status(), anycable::FAILURE);

  a.command = "message";
  a.data = R"({"action":"speak","text":"hi"})";
  rpc.Command(a);
  EXPECT_THAT(
      rpc.TakeBroadcasts(),
      ElementsAre(R"({"stream":"chat/lobby","data":"{\"user\":\"alice\",\"text\":\"hi\"}"})"));
  a.data = R"({"action":"speak","text":""})";
  auto empty = rpc.Command(a);
  EXPECT_EQ(empty.transmissions_size(), 1) << empty.error_msg() << " " << empty.status();
  EXPECT_TRUE(rpc.TakeBroadcasts().empty());

  auto bye = rpc.Disconnect(
      conn.identifiers(), {id},
      {{id, Map(sub.env().istate()).empty() ? "{}" : Json(Map(sub.env().istate())).dump()}});
  EXPECT_EQ(bye.status(), anycable::SUCCESS);
  EXPECT_THAT(
      rpc.TakeBroadcasts(),
      ElementsAre(R"({"stream":"chat/lobby","data":"{\"type\":\"leave\",\"user\":\"alice\"}"})"));
}

}  // namespace
}  // namespace cable::rpc::testing
