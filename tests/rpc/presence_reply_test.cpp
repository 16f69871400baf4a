// The `presence` step: CommandResponse.presence (field 9) filled for the
// server to join or leave on the client's behalf, and its load errors.

#include <gmock/gmock.h>

#include "rpc/loader.h"
#include "rpc_fixture.h"

namespace cable::rpc::testing {
namespace {

constexpr char kDefs[] = R"(
channels:
  Room:
    on_subscribe:
      - stream_from: "room/{{params.room}}"
      - set: {$p: "room/{{params.room}}"}
      - presence: {type: join, id: "{{params.user}}", info: {name: "{{params.name}}", n: 1}}
    actions:
      leave:
        - presence: {type: leave}
      rejoin:
        - presence: {type: leave}
        - presence: {type: join, id: 42, info: "{{data.mood}}"}
      bare:
        - presence: {type: join, id: "{{params.user}}"}
      talk:
        - transmit: hi
  Gate:
    on_subscribe:
      - presence: {type: join, id: u1}
      - reject: true
)";

class PresenceReply : public ::testing::Test {
 protected:
  PresenceReply() : rpc_({Source{"presence.yml", kDefs}}) {}
  RpcFixture rpc_;
  const std::string id_ = R"({"channel":"Room","room":"r1","user":"u7","name":"Ann"})";
};

TEST_F(PresenceReply, SubscribeJoinsWithInfoAsJsonText) {
  auto res = rpc_.Subscribe(id_);
  ASSERT_EQ(res.status(), anycable::SUCCESS) << res.error_msg();
  ASSERT_TRUE(res.has_presence());
  EXPECT_EQ(res.presence().type(), "join");
  EXPECT_EQ(res.presence().id(), "u7");
  EXPECT_EQ(res.presence().info(), R"({"name":"Ann","n":1})");
  // The same reply sets the presence stream the join needs.
  EXPECT_EQ(Map(res.env().istate()).at("$p"), "room/r1");
}

TEST_F(PresenceReply, ActionsLeaveOrJoinAndTheLastStepWins) {
  auto leave = rpc_.Perform(id_, R"({"action":"leave"})");
  ASSERT_TRUE(leave.has_presence());
  EXPECT_EQ(leave.presence().type(), "leave");
  EXPECT_EQ(leave.presence().info(), "");

  auto rejoin = rpc_.Perform(id_, R"({"action":"rejoin","mood":"happy"})");
  ASSERT_TRUE(rejoin.has_presence());
  EXPECT_EQ(rejoin.presence().type(), "join");
  EXPECT_EQ(rejoin.presence().id(), "42");            // a number, as text
  EXPECT_EQ(rejoin.presence().info(), R"("happy")");  // a string is JSON text too

  auto bare = rpc_.Perform(id_, R"({"action":"bare"})");
  ASSERT_TRUE(bare.has_presence());
  EXPECT_EQ(bare.presence().info(), "");  // no info: none sent
}

TEST_F(PresenceReply, NoPresenceWithoutTheStepOrWhenRejected) {
  auto none = rpc_.Perform(id_, R"({"action":"talk"})");
  EXPECT_EQ(none.status(), anycable::SUCCESS);
  EXPECT_FALSE(none.has_presence());
  auto rejected = rpc_.Subscribe(R"({"channel":"Gate"})");
  EXPECT_EQ(rejected.status(), anycable::FAILURE);
  EXPECT_FALSE(rejected.has_presence());
  RpcFixture::CommandArgs unsub;
  unsub.command = "unsubscribe";
  unsub.identifier = id_;
  EXPECT_FALSE(rpc_.Command(unsub).has_presence());
}

std::string LoadError(const std::string& yaml) {
  auto r = LoadDefinitions({Source{"p.yml", yaml}});
  EXPECT_FALSE(r.ok()) << yaml;
  return r.ok() ? "" : r.error().message;
}

TEST(PresenceStepLoader, MistakesNameTheirPlace) {
  auto steps = [](const std::string& step) {
    return "channels:\n  A:\n    on_subscribe:\n      - " + step + "\n";
  };
  std::string e = LoadError(steps("presence: {type: enter, id: x}"));
  EXPECT_NE(e.find("p.yml:4:"), std::string::npos) << e;
  EXPECT_NE(e.find("join or leave"), std::string::npos) << e;
  EXPECT_NE(LoadError(steps("presence: {type: join}")).find("join needs 'id'"), std::string::npos);
  EXPECT_NE(LoadError(steps("presence: {id: x}")).find("needs 'type'"), std::string::npos);
  EXPECT_NE(LoadError(steps("presence: {type: leave, info: {a: 1}}")).find("leave takes no 'info'"),
            std::string::npos);
  EXPECT_NE(LoadError(steps("presence: {type: join, id: \"{{nope.x}}\"}")).find("bad template"),
            std::string::npos);
  EXPECT_NE(LoadError(steps("presence: {type: join, id: x, nfo: 1}")).find("did you mean \"info\""),
            std::string::npos);
  // The server leaves by itself on unsubscribe; a step there would do nothing.
  e = LoadError("channels:\n  A:\n    on_unsubscribe:\n      - presence: {type: leave}\n");
  EXPECT_NE(e.find("'presence' is not allowed in on_unsubscribe"), std::string::npos) << e;
}

}  // namespace
}  // namespace cable::rpc::testing
