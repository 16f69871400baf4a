// The Pusher pieces without a server: signatures against the worked
// examples of Pusher's documentation, the translation of client events
// into session commands, and the encoder's shapes (anycable-go's).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/hub/broadcast.h"
#include "server/pusher/client_events.h"
#include "server/pusher/encoder.h"
#include "server/pusher/pusher_settings.h"
#include "server/pusher/rest_api.h"
#include "server/pusher/signatures.h"

namespace cable::server::pusher {
namespace {

using Json = nlohmann::json;
using protocol::CommandType;

// Pusher's documented example credentials.
constexpr const char* kKey = "278d425bdf160c739803";
constexpr const char* kSecret = "7ad3773142a6692b25b8";

TEST(PusherSignatureTest, ChannelAuthMatchesPushersWorkedExample) {
  const std::string auth =
      std::string(kKey) + ":58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4";
  EXPECT_TRUE(ChannelAuthValid(kKey, kSecret, "1234.1234", "private-foobar", "", auth));
  EXPECT_FALSE(ChannelAuthValid(kKey, kSecret, "1234.1235", "private-foobar", "", auth));
  EXPECT_FALSE(ChannelAuthValid(kKey, kSecret, "1234.1234", "private-foobaz", "", auth));
  EXPECT_FALSE(ChannelAuthValid("other-key", kSecret, "1234.1234", "private-foobar", "", auth));
  EXPECT_FALSE(ChannelAuthValid(kKey, kSecret, "1234.1234", "private-foobar", "", ""));
  // Presence signs channel_data after the channel.
  const std::string data = R"({"user_id":"1"})";
  const std::string presence =
      std::string(kKey) + ":" + Sign(kSecret, "1234.1234:presence-x:" + data);
  EXPECT_TRUE(ChannelAuthValid(kKey, kSecret, "1234.1234", "presence-x", data, presence));
  EXPECT_FALSE(
      ChannelAuthValid(kKey, kSecret, "1234.1234", "presence-x", R"({"user_id":"2"})", presence));
}

TEST(PusherSignatureTest, RequestSignatureMatchesPushersWorkedExample) {
  const std::string body =
      R"({"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"})";
  // Parameters in any order; the signature covers them sorted.
  const Query query = {
      {"body_md5", "ec365a775a4cd0599faeb73354201b6f"},
      {"auth_version", "1.0"},
      {"auth_key", kKey},
      {"auth_signature", "da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c"},
      {"auth_timestamp", "1353088179"}};
  EXPECT_EQ(RequestSigningText("POST", "/apps/3/events", query),
            "POST\n/apps/3/events\nauth_key=278d425bdf160c739803&auth_timestamp=1353088179&"
            "auth_version=1.0&body_md5=ec365a775a4cd0599faeb73354201b6f");
  EXPECT_TRUE(CheckRequestSignature(kSecret, "POST", "/apps/3/events", query, 1353088179).ok());
  EXPECT_TRUE(BodyMd5Valid(query, body));
  EXPECT_FALSE(BodyMd5Valid(query, body + " "));
  // Within 600 s of the clock, not beyond.
  EXPECT_TRUE(CheckRequestSignature(kSecret, "POST", "/apps/3/events", query, 1353088779).ok());
  EXPECT_FALSE(CheckRequestSignature(kSecret, "POST", "/apps/3/events", query, 1353088780).ok());
  EXPECT_FALSE(CheckRequestSignature(kSecret, "GET", "/apps/3/events", query, 1353088179).ok());
  EXPECT_FALSE(CheckRequestSignature(kSecret, "POST", "/apps/4/events", query, 1353088179).ok());
  EXPECT_FALSE(CheckRequestSignature("wrong", "POST", "/apps/3/events", query, 1353088179).ok());
  // An added parameter is signed too.
  Query extra = query;
  extra.emplace_back("info", "user_count");
  EXPECT_FALSE(CheckRequestSignature(kSecret, "POST", "/apps/3/events", extra, 1353088179).ok());
  Query bad_time = query;
  bad_time[4].second = "1353088179x";
  EXPECT_FALSE(CheckRequestSignature(kSecret, "POST", "/apps/3/events", bad_time, 1353088179).ok());
}

const Settings kSettings{"app", "key", "secret"};

TEST(PusherClientEventTest, SubscribeUnsubscribeAndPings) {
  auto sub = TranslateClientEvent(R"({"event":"pusher:subscribe","data":{"channel":"news"}})",
                                  kSettings, "1.2");
  ASSERT_TRUE(sub.command);
  EXPECT_EQ(sub.command->type, CommandType::kSubscribe);
  EXPECT_EQ(sub.command->identifier, R"({"channel":"$pusher","stream":"news"})");
  auto unsub = TranslateClientEvent(R"({"event":"pusher:unsubscribe","data":{"channel":"news"}})",
                                    kSettings, "1.2");
  ASSERT_TRUE(unsub.command);
  EXPECT_EQ(unsub.command->type, CommandType::kUnsubscribe);
  EXPECT_EQ(unsub.command->identifier, Identifier("news"));
  EXPECT_EQ(
      TranslateClientEvent(R"({"event":"pusher:ping","data":{}})", kSettings, "1.2").command->type,
      CommandType::kPing);
}

TEST(PusherClientEventTest, UnauthorizedPrivateSubscribeNamesNoChannel) {
  auto bad = TranslateClientEvent(
      R"({"event":"pusher:subscribe","data":{"channel":"private-a","auth":"key:00"}})", kSettings,
      "1.2");
  ASSERT_TRUE(bad.command);
  EXPECT_EQ(bad.command->identifier, Identifier(""));
  const std::string auth = "key:" + Sign("secret", "1.2:private-a");
  auto good = TranslateClientEvent(
      Json({{"event", "pusher:subscribe"}, {"data", {{"channel", "private-a"}, {"auth", auth}}}})
          .dump(),
      kSettings, "1.2");
  EXPECT_EQ(good.command->identifier, Identifier("private-a"));
  // The signature binds the socket id.
  auto other = TranslateClientEvent(
      Json({{"event", "pusher:subscribe"}, {"data", {{"channel", "private-a"}, {"auth", auth}}}})
          .dump(),
      kSettings, "1.3");
  EXPECT_EQ(other.command->identifier, Identifier(""));
}

TEST(PusherClientEventTest, PresenceSubscribeCarriesTheMember) {
  const std::string data = R"({"user_id":7,"user_info":{"name":"N"}})";
  const std::string auth = "key:" + Sign("secret", "1.2:presence-a:" + data);
  auto sub = TranslateClientEvent(
      Json({{"event", "pusher:subscribe"},
            {"data", {{"channel", "presence-a"}, {"auth", auth}, {"channel_data", data}}}})
          .dump(),
      kSettings, "1.2");
  ASSERT_TRUE(sub.command);
  EXPECT_EQ(sub.command->identifier, Identifier("presence-a"));
  EXPECT_EQ(Json::parse(sub.command->presence), Json::parse(R"({"id":"7","info":{"name":"N"}})"));
}

TEST(PusherClientEventTest, ClientEventsBecomeWhispers) {
  auto ev = TranslateClientEvent(R"({"event":"client-t","channel":"private-a","data":{"x":1}})",
                                 kSettings, "1.2");
  ASSERT_TRUE(ev.command);
  EXPECT_EQ(ev.command->type, CommandType::kWhisper);
  EXPECT_EQ(ev.command->identifier, Identifier("private-a"));
  EXPECT_EQ(ev.command->data, R"({"event":"client-t","channel":"private-a","data":{"x":1}})");
}

TEST(PusherClientEventTest, BadInputIsAnsweredWithGenericErrors) {
  for (const char* bad : {"", "{", "null", "[]", R"({"event":1})", R"({"event":"pusher:signin"})",
                          R"({"event":"pusher:subscribe","data":[]})", R"({"event":"client-x"})"}) {
    auto ev = TranslateClientEvent(bad, kSettings, "1.2");
    EXPECT_FALSE(ev.command) << bad;
    Json reply = Json::parse(ev.reply);
    EXPECT_EQ(reply["event"], "pusher:error") << bad;
    EXPECT_EQ(reply["data"]["code"], 4200) << bad;
  }
}

TEST(PusherClientEventTest, AQuotedEventNameStaysValidUtf8) {
  // The error quotes 64 bytes of the name; byte 64 falls inside an "é".
  const std::string name = std::string(63, 'x') + "\xC3\xA9" + std::string(100, 'y');
  auto ev = TranslateClientEvent(R"({"event":")" + name + R"("})", kSettings, "1.2");
  ASSERT_FALSE(ev.command);
  Json reply = Json::parse(ev.reply);  // throws on invalid UTF-8
  EXPECT_EQ(reply["data"]["message"], "unsupported event: " + std::string(63, 'x'));
}

TEST(PusherEncoderTest, MessagesInAnycableGoShapes) {
  EXPECT_EQ(
      *EncodeMessage(R"({"type":"welcome","sid":"1.2"})"),
      R"({"event":"pusher:connection_established","data":"{\"socket_id\":\"1.2\",\"activity_timeout\":30}"})");
  EXPECT_EQ(
      *EncodeMessage(
          R"({"type":"confirm_subscription","identifier":"{\"channel\":\"$pusher\",\"stream\":\"a\"}"})"),
      R"({"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"a"})");
  EXPECT_EQ(*EncodeMessage(R"({"type":"reject_subscription","identifier":"x"})"),
            R"({"event":"pusher:error","data":{"message":"rejected","code":4009}})");
  EXPECT_EQ(*EncodeMessage(R"({"type":"disconnect","reason":"server_restart","reconnect":true})"),
            R"({"event":"pusher:error","data":{"message":"server_restart","code":4200}})");
  EXPECT_EQ(*EncodeMessage(R"({"type":"disconnect","reason":"unauthorized","reconnect":false})"),
            R"({"event":"pusher:error","data":{"message":"unauthorized","code":4009}})");
  EXPECT_EQ(*EncodeMessage(R"({"type":"pong"})"), R"({"event":"pusher:pong"})");
  EXPECT_FALSE(EncodeMessage(R"({"type":"confirm_history","identifier":"x"})"));
  EXPECT_FALSE(EncodeMessage("not json"));
}

TEST(PusherEncoderTest, BroadcastsAndPresenceEvents) {
  auto b = MakeBroadcast("news", R"({"event":"e","data":"{\"a\":1}"})");
  EXPECT_EQ(*EncodeBroadcast("news", *b), R"({"event":"e","data":"{\"a\":1}","channel":"news"})");
  EXPECT_FALSE(EncodeBroadcast("news", *MakeBroadcast("news", R"({"text":"no event"})")));
  EXPECT_FALSE(EncodeBroadcast("news", *MakeBroadcast("news", "plain text")));
  auto join = MakeBroadcast("presence-a", R"({"type":"join","info":{"n":1},"id":"7"})");
  join->type = "presence";
  EXPECT_EQ(
      *EncodeBroadcast("presence-a", *join),
      R"({"event":"pusher_internal:member_added","data":"{\"user_id\":\"7\",\"user_info\":{\"n\":1}}","channel":"presence-a"})");
  auto leave = MakeBroadcast("presence-a", R"({"type":"leave","id":"7"})");
  leave->type = "presence";
  EXPECT_EQ(
      *EncodeBroadcast("presence-a", *leave),
      R"({"event":"pusher_internal:member_removed","data":"{\"user_id\":\"7\"}","channel":"presence-a"})");
}

TEST(PusherEncoderTest, PresenceConfirmationAddsTheNewMember) {
  PresenceList list;
  list.records.push_back({"312", R"({"name":"Vova"})"});
  EXPECT_EQ(
      PresenceSubscriptionSucceeded("presence-t", list, {"42", R"({"name":"Lolo"})"}),
      R"({"event":"pusher_internal:subscription_succeeded","data":"{\"presence\":{\"count\":2,\"ids\":[\"312\",\"42\"],\"hash\":{\"312\":{\"name\":\"Vova\"},\"42\":{\"name\":\"Lolo\"}}}}","channel":"presence-t"})");
  // Already a member (another connection of the same user): listed once.
  EXPECT_EQ(Json::parse(Json::parse(PresenceSubscriptionSucceeded("p", list, {"312", ""}))["data"]
                            .get<std::string>())["presence"]["count"],
            1);
}

TEST(PusherRestTest, EventsBecomeOneBroadcastPerChannel) {
  auto events = ParseEvents(R"({"name":"n","channels":["a","b"],"data":"d","socket_id":"1.2"})");
  ASSERT_TRUE(events.ok()) << events.error().message;
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1]->stream, "b");
  EXPECT_EQ((*events)[0]->data, R"({"event":"n","data":"d"})");
  EXPECT_EQ((*events)[0]->exclude_socket, "1.2");
  EXPECT_FALSE(ParseEvents(R"({"name":"n","channel":"a","data":{}})").ok());
  EXPECT_FALSE(ParseEvents(R"({"channel":"a","data":"d"})").ok());
  EXPECT_FALSE(ParseEvents(R"({"name":"n","data":"d"})").ok());
  Json many = {{"name", "n"}, {"channels", Json::array()}};
  for (int i = 0; i < 101; ++i) many["channels"].push_back("c" + std::to_string(i));
  EXPECT_FALSE(ParseEvents(many.dump()).ok());
  EXPECT_EQ(UsersChannel("/channels/presence-a/users"), "presence-a");
  EXPECT_EQ(UsersChannel("/channels/users"), "");
  EXPECT_EQ(UsersChannel("/channels/a/b/users"), "");
}

TEST(PusherSettingsTest, PathsAndSocketIds) {
  EXPECT_TRUE(IsWebSocketPath("/app/key", "key"));
  EXPECT_FALSE(IsWebSocketPath("/app/keys", "key"));
  EXPECT_TRUE(IsApiPath("/apps/id/events", "id"));
  EXPECT_FALSE(IsApiPath("/apps/idx/events", "id"));
  EXPECT_FALSE(IsApiPath("/apps/id", "id"));
  EXPECT_EQ(SocketId("123.456"), "123.456");
  EXPECT_NE(SocketId("123.x"), "123.x");
  EXPECT_NE(SocketId(".5"), ".5");
}

}  // namespace
}  // namespace cable::server::pusher
