// The built-in AnyT definitions, driven over gRPC exactly as an AnyCable
// server drives AnyT's own RPC server.

#include <gmock/gmock.h>

#include "rpc_fixture.h"

namespace cable::rpc::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr char kUnauthorized[] =
    R"({"type":"disconnect","reason":"unauthorized","reconnect":false})";
constexpr char kBase[] = "http://localhost:8080/cable";

class AnytBackend : public ::testing::Test {
 protected:
  AnytBackend() : rpc_({SourceFile("scenarios/backend/anyt.yml")}) {}
  RpcFixture rpc_;
};

TEST_F(AnytBackend, ConnectWithoutHandlerIsWelcomedWithSid) {
  auto res = rpc_.Connect(kBase, {}, "abc123");
  EXPECT_EQ(res.status(), anycable::SUCCESS);
  EXPECT_EQ(res.identifiers(), "{}");
  EXPECT_THAT(List(res.transmissions()), ElementsAre(R"({"type":"welcome","sid":"abc123"})"));
}

TEST_F(AnytBackend, UidHandlerSetsIdentifiers) {
  auto res = rpc_.Connect(std::string(kBase) + "?test=uid&uid=26");
  EXPECT_EQ(res.status(), anycable::SUCCESS);
  // anycable-go matches remote disconnects on this exact string.
  EXPECT_EQ(res.identifiers(), R"({"uid":"26"})");
  EXPECT_EQ(rpc_.Connect(std::string(kBase) + "?test=uid").status(), anycable::FAILURE);
  EXPECT_EQ(rpc_.Connect(std::string(kBase) + "?test=uid&uid=").status(), anycable::FAILURE);
}

TEST_F(AnytBackend, RequestUrlHandler) {
  EXPECT_EQ(rpc_.Connect("http://127.0.0.1:9000/cable?test=request_url").status(),
            anycable::SUCCESS);
}

TEST_F(AnytBackend, CookiesHandler) {
  auto rejected = rpc_.Connect(std::string(kBase) + "?test=cookies", {{"cookie", ""}});
  EXPECT_EQ(rejected.status(), anycable::FAILURE);
  EXPECT_THAT(List(rejected.transmissions()), ElementsAre(kUnauthorized));
  EXPECT_NE(rejected.error_msg().find("cookies.username"), std::string::npos)
      << rejected.error_msg();
  auto accepted =
      rpc_.Connect(std::string(kBase) + "?test=cookies", {{"cookie", "username=john green"}});
  EXPECT_EQ(accepted.status(), anycable::SUCCESS);
  EXPECT_EQ(
      rpc_.Connect(std::string(kBase) + "?test=cookies", {{"cookie", "a=1; username=john%20green"}})
          .status(),
      anycable::SUCCESS);
}

TEST_F(AnytBackend, HeadersHandler) {
  EXPECT_EQ(rpc_.Connect(std::string(kBase) + "?test=headers").status(), anycable::FAILURE);
  EXPECT_EQ(rpc_.Connect(std::string(kBase) + "?test=headers", {{"x-api-token", "abc"}}).status(),
            anycable::SUCCESS);
  EXPECT_EQ(rpc_.Connect(std::string(kBase) + "?test=headers", {{"x-api-token", "abd"}}).status(),
            anycable::FAILURE);
}

TEST_F(AnytBackend, ReasonsHandler) {
  auto res = rpc_.Connect(std::string(kBase) + "?test=reasons&reason=unauthorized");
  EXPECT_EQ(res.status(), anycable::FAILURE);
  EXPECT_THAT(List(res.transmissions()), ElementsAre(kUnauthorized));
  EXPECT_EQ(rpc_.Connect(std::string(kBase) + "?test=reasons&reason=server_restart").status(),
            anycable::SUCCESS);
}

TEST_F(AnytBackend, SubscribeConfirmsAndRejects) {
  std::string id = AnytId("SubscriptionAknowledgementChannel");
  auto ok = rpc_.Subscribe(id);
  EXPECT_EQ(ok.status(), anycable::SUCCESS);
  EXPECT_THAT(
      List(ok.transmissions()),
      ElementsAre(
          R"({"identifier":")" +
          std::string(
              R"({\"channel\":\"Anyt::TestChannels::SubscriptionAknowledgementChannel\"})") +
          R"(","type":"confirm_subscription"})"));
  std::string rid = AnytId("SubscriptionAknowledgementRejectorChannel");
  auto rejected = rpc_.Subscribe(rid);
  EXPECT_EQ(rejected.status(), anycable::FAILURE);
  EXPECT_THAT(
      List(rejected.transmissions()),
      ElementsAre(
          R"({"identifier":")" +
          std::string(
              R"({\"channel\":\"Anyt::TestChannels::SubscriptionAknowledgementRejectorChannel\"})") +
          R"(","type":"reject_subscription"})"));
  EXPECT_TRUE(rejected.streams().empty());
}

TEST_F(AnytBackend, SameChannelDifferentParams) {
  for (const char* extra : {R"(,"id":1)", R"(,"id":2)"}) {
    std::string id = AnytId("SubscriptionWithParamsChannel", extra);
    auto res = rpc_.Subscribe(id);
    EXPECT_EQ(res.status(), anycable::SUCCESS);
    ASSERT_EQ(res.transmissions_size(), 1);
    EXPECT_EQ(Json::parse(res.transmissions(0))["identifier"], id);
  }
}

TEST_F(AnytBackend, TransmissionsPrecedeConfirmation) {
  std::string id = AnytId("SubscriptionTransmissionsChannel");
  auto res = rpc_.Subscribe(id);
  ASSERT_EQ(res.transmissions_size(), 3);
  EXPECT_EQ(Json::parse(res.transmissions(0)), Json({{"identifier", id}, {"message", "hello"}}));
  EXPECT_EQ(Json::parse(res.transmissions(1)), Json({{"identifier", id}, {"message", "world"}}));
  EXPECT_EQ(Json::parse(res.transmissions(2))["type"], "confirm_subscription");
}

TEST_F(AnytBackend, PerformWithAndWithoutArguments) {
  std::string id = AnytId("SubscriptionPerformMethodsChannel");
  auto tick = rpc_.Perform(id, R"({"action":"tick"})");
  EXPECT_EQ(tick.status(), anycable::SUCCESS);
  EXPECT_THAT(List(tick.transmissions()),
              ElementsAre(R"({"identifier":)" + Json(id).dump() + R"(,"message":"tock"})"));
  auto echo = rpc_.Perform(id, R"({"action":"echo","text":"hello"})");
  ASSERT_EQ(echo.transmissions_size(), 1);
  EXPECT_EQ(Json::parse(echo.transmissions(0))["message"], Json({{"response", "hello"}}));
}

TEST_F(AnytBackend, Streams) {
  EXPECT_THAT(List(rpc_.Subscribe(AnytId("SingleStreamChannel")).streams()), ElementsAre("a"));
  EXPECT_THAT(List(rpc_.Subscribe(AnytId("MultipleStreamsChannel")).streams()),
              ElementsAre("a", "b"));
  EXPECT_THAT(List(rpc_.Subscribe(AnytId("StreamsWithManyClientsChannel")).streams()),
              ElementsAre("a"));
  EXPECT_THAT(List(rpc_.Subscribe(AnytId("BroadcastDataToStreamChannel")).streams()),
              ElementsAre("a"));
}

TEST_F(AnytBackend, StopStreamFromInAction) {
  std::string id = AnytId("StopStreamsChannel");
  EXPECT_THAT(List(rpc_.Subscribe(id).streams()), ElementsAre("a", "b"));
  auto res = rpc_.Perform(id, R"({"action":"unfollow","name":"a"})");
  EXPECT_EQ(res.status(), anycable::SUCCESS);
  EXPECT_THAT(List(res.stopped_streams()), ElementsAre("a"));
  EXPECT_FALSE(res.stop_streams());
  EXPECT_TRUE(res.streams().empty());
  EXPECT_TRUE(res.transmissions().empty());

  rpc_.TakeBroadcasts();
  rpc_.Perform(id, R"({"action":"ping","name":"b"})");
  EXPECT_THAT(rpc_.TakeBroadcasts(),
              ElementsAre(R"({"stream":"b","data":"{\"reply\":\"pong\"}"})"));
}

TEST_F(AnytBackend, ChannelStateRoundTrips) {
  std::string id = AnytId("ChannelStateChannel", R"(,"name":"chipolino")");
  auto sub = rpc_.Subscribe(id);
  EXPECT_EQ(sub.status(), anycable::SUCCESS);
  EXPECT_THAT(List(sub.streams()), ElementsAre("state_counts"));
  auto istate = Map(sub.env().istate());
  EXPECT_EQ(istate, (std::map<std::string, std::string>{{"count", "1"},
                                                        {"user", R"({"name":"chipolino"})"}}));

  // The server passes the stored state back with the next command.
  auto tick = rpc_.Perform(id, R"({"action":"tick"})", istate);
  EXPECT_EQ(tick.status(), anycable::SUCCESS);
  ASSERT_EQ(tick.transmissions_size(), 1);
  EXPECT_EQ(tick.transmissions(0), R"({"identifier":)" + Json(id).dump() +
                                       R"(,"message":{"count":3,"name":"chipolino"}})");
  // Only the changed key comes back (the server merges).
  EXPECT_EQ(Map(tick.env().istate()), (std::map<std::string, std::string>{{"count", "3"}}));
}

TEST_F(AnytBackend, DisconnectRunsUnsubscribeWithStoredState) {
  std::string state_id = AnytId("ChannelStateChannel", R"(,"name":"chipollone")");
  std::string a = AnytId("RequestAChannel");
  std::string b = AnytId("RequestBChannel");
  std::string c1 = AnytId("RequestCChannel", R"(,"id":1)");
  std::string c2 = AnytId("RequestCChannel", R"(,"id":2)");
  rpc_.TakeBroadcasts();
  // anycable-go sends each subscription's state as one JSON object string.
  auto res =
      rpc_.Disconnect("{}", {state_id, a, b, c1, c2, R"({"channel":"$pubsub","stream_name":"x"})"},
                      {{state_id, R"({"count":"5","user":"{\"name\":\"chipollone\"}"})"}});
  EXPECT_EQ(res.status(), anycable::SUCCESS) << res.error_msg();
  EXPECT_THAT(
      rpc_.TakeBroadcasts(),
      ElementsAre(R"({"stream":"state_counts","data":"{\"data\":\"user left: chipollone\"}"})",
                  R"({"stream":"request_a","data":"{\"data\":\"user left\"}"})",
                  R"({"stream":"request_b","data":"{\"data\":\"user left\"}"})",
                  R"({"stream":"request_c","data":"{\"data\":\"user left1\"}"})",
                  R"({"stream":"request_c","data":"{\"data\":\"user left2\"}"})"));
}

TEST_F(AnytBackend, UnsubscribeCommandRunsCallbackAndStopsStreams) {
  std::string a = AnytId("RequestAChannel");
  rpc_.TakeBroadcasts();
  RpcFixture::CommandArgs args;
  args.command = "unsubscribe";
  args.identifier = a;
  auto res = rpc_.Command(args);
  EXPECT_EQ(res.status(), anycable::SUCCESS);
  EXPECT_TRUE(res.stop_streams());
  EXPECT_THAT(rpc_.TakeBroadcasts(),
              ElementsAre(R"({"stream":"request_a","data":"{\"data\":\"user left\"}"})"));
}

TEST_F(AnytBackend, RequestChannelReadsConnectionQuery) {
  std::string id = AnytId("RequestChannel");
  EXPECT_EQ(rpc_.Subscribe(id, std::string(kBase) + "?token=secret").status(), anycable::SUCCESS);
  auto rejected = rpc_.Subscribe(id, std::string(kBase) + "?token=wrong");
  EXPECT_EQ(rejected.status(), anycable::FAILURE);
  EXPECT_NE(rejected.error_msg().find("query.token"), std::string::npos) << rejected.error_msg();
  EXPECT_EQ(rpc_.Subscribe(id).status(), anycable::FAILURE);
}

TEST_F(AnytBackend, BroadcastFromChannelAction) {
  std::string id = AnytId("BroadcastDataFromChannelChannel");
  rpc_.TakeBroadcasts();
  rpc_.Perform(id, R"({"action":"speak","msg":"hey there!"})");
  EXPECT_THAT(rpc_.TakeBroadcasts(),
              ElementsAre(R"({"stream":"a","data":"{\"text\":\"hey there!\"}"})"));
}

// Malformed requests -----------------------------------------------------------

TEST_F(AnytBackend, MalformedCommandsAreErrorsAndTheServerKeepsServing) {
  struct Case {
    std::string command, identifier, data, expect;
  };
  std::string perform = AnytId("SubscriptionPerformMethodsChannel");
  std::vector<Case> cases = {
      {"subscribe", "{not json", "", "identifier is not valid JSON"},
      {"subscribe", "", "", "identifier is empty"},
      {"subscribe", "[1,2]", "", "identifier is not a JSON object"},
      {"subscribe", R"({"room":1})", "", "no \"channel\" string"},
      {"message", R"({"channel":"Nope"})", R"({"action":"x"})", "unknown channel 'Nope'"},
      {"message", perform, "{bad", "data is not valid JSON"},
      {"message", perform, "[]", "data is not a JSON object"},
      {"message", perform, R"({"text":1})", "data has no \"action\" string"},
      {"message", perform, R"({"action":"nope"})", "unknown action 'nope'"},
      {"message", perform, std::string(100, '[') + std::string(100, ']'), "nests deeper"},
      {"message", perform, std::string(2 << 20, ' '), "limit is"},
      {"destroy", perform, "", "unknown command 'destroy'"},
  };
  for (const auto& c : cases) {
    RpcFixture::CommandArgs args;
    args.command = c.command;
    args.identifier = c.identifier;
    args.data = c.data;
    auto res = rpc_.Command(args);
    EXPECT_EQ(res.status(), anycable::ERROR) << c.expect;
    EXPECT_NE(res.error_msg().find(c.expect), std::string::npos)
        << "got: " << res.error_msg() << "\nwanted: " << c.expect;
    EXPECT_TRUE(res.transmissions().empty());
  }
  // Subscribing to an unknown channel is a rejection the client can see.
  auto unknown = rpc_.Subscribe(R"({"channel":"Nope"})");
  EXPECT_EQ(unknown.status(), anycable::FAILURE);
  EXPECT_THAT(
      List(unknown.transmissions()),
      ElementsAre(R"({"identifier":"{\"channel\":\"Nope\"}","type":"reject_subscription"})"));
  // Still serving.
  EXPECT_EQ(rpc_.Perform(perform, R"({"action":"tick"})").status(), anycable::SUCCESS);
}

TEST_F(AnytBackend, MalformedDisconnectStillRunsTheRest) {
  std::string a = AnytId("RequestAChannel");
  std::string state_id = AnytId("ChannelStateChannel", R"(,"name":"x")");
  rpc_.TakeBroadcasts();
  auto res = rpc_.Disconnect("{}", {"{oops", state_id, a}, {{state_id, "not json"}});
  EXPECT_EQ(res.status(), anycable::ERROR);
  EXPECT_NE(res.error_msg().find("identifier is not valid JSON"), std::string::npos)
      << res.error_msg();
  EXPECT_NE(res.error_msg().find("and 1 more"), std::string::npos) << res.error_msg();
  EXPECT_THAT(rpc_.TakeBroadcasts(),
              ElementsAre(R"({"stream":"request_a","data":"{\"data\":\"user left\"}"})"));
  auto bad_ids = rpc_.Disconnect("not json", {a}, {});
  EXPECT_EQ(bad_ids.status(), anycable::ERROR);
  EXPECT_NE(bad_ids.error_msg().find("connection identifiers"), std::string::npos);
}

TEST_F(AnytBackend, OversizedEnvIsRejected) {
  auto res = rpc_.Connect(std::string(kBase) + "?x=" + std::string(20000, 'a'));
  EXPECT_EQ(res.status(), anycable::ERROR);
  EXPECT_NE(res.error_msg().find("env.url"), std::string::npos);
}

}  // namespace
}  // namespace cable::rpc::testing
