// Publication encodings must match what AnyCable servers parse, byte for byte.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/broadcast/broadcast_key.h"
#include "common/broadcast/input.h"
#include "common/broadcast/publisher.h"
#include "support/auth_vectors.h"
#include "support/process.h"

namespace cable::broadcast {
namespace {

TEST(BroadcastEncode, PublicationWithoutMeta) {
  Publication p{"chat_42", R"({"text":"Hello"})", std::nullopt};
  EXPECT_EQ(ToJson(p), R"({"stream":"chat_42","data":"{\"text\":\"Hello\"}"})");
}

TEST(BroadcastEncode, PublicationWithExcludeSocket) {
  Publication p{"chat_42", R"({"text":"Hello"})", "sid-1"};
  EXPECT_EQ(
      ToJson(p),
      R"({"stream":"chat_42","data":"{\"text\":\"Hello\"}","meta":{"exclude_socket":"sid-1"}})");
}

TEST(BroadcastEncode, TransientPublicationsSaySoInMeta) {
  Publication p{"chat_42", "1", std::nullopt, true};
  EXPECT_EQ(ToJson(p), R"({"stream":"chat_42","data":"1","meta":{"transient":true}})");
  p.exclude_socket = "sid-1";
  EXPECT_EQ(
      ToJson(p),
      R"({"stream":"chat_42","data":"1","meta":{"exclude_socket":"sid-1","transient":true}})");
  LineDefaults defaults{"s", std::nullopt, false, false};
  auto line = ParseLine(R"({"stream":"a","data":1,"transient":true})", defaults);
  ASSERT_TRUE(line.ok());
  EXPECT_TRUE(line->transient);
  EXPECT_FALSE(ParseLine(R"({"stream":"a","data":1,"transient":"yes"})", defaults).ok());
}

TEST(BroadcastEncode, EscapesStreamsAndKeepsUtf8) {
  Publication p{"a\"b\\c/комната", "\"x\n\"", std::nullopt};
  EXPECT_EQ(ToJson(p), "{\"stream\":\"a\\\"b\\\\c/комната\",\"data\":\"\\\"x\\n\\\"\"}");
  // Whatever the escaping, a JSON parser must get the original strings back.
  auto parsed = nlohmann::json::parse(ToJson(p));
  EXPECT_EQ(parsed["stream"], p.stream);
  EXPECT_EQ(parsed["data"], p.data);
}

TEST(BroadcastEncode, BatchIsAnArrayInOrder) {
  std::vector<Publication> batch{{"a", "1", std::nullopt}, {"b", "\"two\"", "sid"}};
  EXPECT_EQ(
      ToJson(batch),
      R"([{"stream":"a","data":"1"},{"stream":"b","data":"\"two\"","meta":{"exclude_socket":"sid"}}])");
  EXPECT_EQ(ToJson(std::vector<Publication>{}), "[]");
}

TEST(BroadcastEncode, RemoteDisconnect) {
  EXPECT_EQ(
      ToJson(RemoteDisconnect{R"({"user_id":42})", false}),
      R"({"command":"disconnect","payload":{"identifier":"{\"user_id\":42}","reconnect":false}})");
  EXPECT_EQ(ToJson(RemoteDisconnect{"u1", true}),
            R"({"command":"disconnect","payload":{"identifier":"u1","reconnect":true}})");
}

TEST(BroadcastKey, MatchesSharedVector) {
  const auto& vectors = testing::AuthVectors();
  int checked = 0;
  for (const auto& v : vectors.at("derived_keys")) {
    if (v.at("phrase") != "broadcast-cable") continue;
    EXPECT_EQ(DeriveBroadcastKey(v.at("secret").get<std::string>()), v.at("key"));
    ++checked;
  }
  EXPECT_GT(checked, 0);
  EXPECT_TRUE(IsDisabledKey("none"));
  EXPECT_FALSE(IsDisabledKey(""));
}

TEST(BroadcastKey, DefaultUrlFollowsTheServersPortRule) {
  EXPECT_STREQ(DefaultBroadcastUrl(""), "http://localhost:8090/_broadcast");
  EXPECT_STREQ(DefaultBroadcastUrl("none"), "http://localhost:8090/_broadcast");
  EXPECT_STREQ(DefaultBroadcastUrl("k"), "http://localhost:8080/_broadcast");
}

TEST(BroadcastInput, DataFromJsonIsCompactAndKeepsKeyOrder) {
  auto d = DataFromJson(R"( { "z" : 1, "a" : [ 1, 2 ] } )");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, R"({"z":1,"a":[1,2]})");
  EXPECT_EQ(*DataFromJson("\"hi\""), "\"hi\"");
  EXPECT_EQ(*DataFromJson("42"), "42");
}

TEST(BroadcastInput, InvalidJsonIsAnError) {
  auto d = DataFromJson("{text: hi}");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, "invalid_json");
  EXPECT_FALSE(DataFromJson("").ok());
  EXPECT_FALSE(DataFromJson("1 2").ok());
}

TEST(BroadcastInput, RawStringBecomesJsonString) {
  EXPECT_EQ(DataFromString("plain \"text\""), R"("plain \"text\"")");
}

TEST(BroadcastInput, EnvelopeLine) {
  LineDefaults defaults{"default", "sid-default", false};
  auto p = ParseLine(R"({"stream":"chat/1","data":{"n":1},"exclude_socket":"sid-7"})", defaults);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->stream, "chat/1");
  EXPECT_EQ(p->data, R"({"n":1})");
  EXPECT_EQ(p->exclude_socket, "sid-7");

  auto q = ParseLine(R"({"stream":"chat/2","data":"text"})", defaults);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->data, R"("text")");
  EXPECT_EQ(q->exclude_socket, "sid-default");
}

TEST(BroadcastInput, PlainValueGoesToDefaultStream) {
  auto p = ParseLine(R"({"text":"hi"})", LineDefaults{"chat/9", std::nullopt, false});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->stream, "chat/9");
  EXPECT_EQ(p->data, R"({"text":"hi"})");
  EXPECT_FALSE(p->exclude_socket.has_value());
}

TEST(BroadcastInput, LineErrors) {
  LineDefaults no_stream;
  EXPECT_EQ(ParseLine("[1,2]", no_stream).error().code, "invalid_message");
  EXPECT_EQ(ParseLine("{oops", no_stream).error().code, "invalid_json");
  EXPECT_EQ(ParseLine(R"({"stream":"s","data":1,"exlude_socket":"x"})", no_stream).error().code,
            "invalid_message");
  EXPECT_EQ(ParseLine(R"({"stream":"","data":1})", no_stream).error().code, "invalid_message");
}

TEST(BroadcastInput, RawLines) {
  auto p = ParseLine(R"({"stream":"x","data":1})", LineDefaults{"s", std::nullopt, true});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->stream, "s");
  EXPECT_EQ(p->data, R"("{\"stream\":\"x\",\"data\":1}")");
}

}  // namespace
}  // namespace cable::broadcast
