// LocalChannels::Subscribe, the subscriptions the server answers without
// RPC: `$pubsub` with signed names (tests/vectors/auth.json) and public
// names, Turbo::StreamsChannel and CableReady::Stream signed names (Rails'
// MessageVerifier vectors), the whisper ($w) and presence ($p) state keys,
// which secret verifies what, rejections with the reason logged, and the
// identifiers left to the controller.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "server/channels/local_channels.h"
#include "server/config.h"
#include "support/auth_vectors.h"

namespace cable::server {
namespace {

using cable::testing::AuthVectors;
using nlohmann::json;

std::string Str(const json& value) {
  return value.get<std::string>();
}

std::string Identifier(const std::string& channel, const std::string& key,
                       const std::string& value) {
  return json{{"channel", channel}, {key, value}}.dump();
}
std::string Signed(const std::string& signed_name, const std::string& channel = "$pubsub") {
  return Identifier(channel, "signed_stream_name", signed_name);
}
std::string Public(const std::string& name) {
  return Identifier("$pubsub", "stream_name", name);
}

ServerConfig WithStreamsSecret(const std::string& secret) {
  ServerConfig config;
  config.streams_secret = secret;
  return config;
}

TEST(LocalChannelsTest, ConfirmsEverySignedVectorWithItsStreamName) {
  for (const auto& v : AuthVectors()["signed_streams"]) {
    const LocalChannels channels(WithStreamsSecret(Str(v["secret"])));
    const auto sub = channels.Subscribe(Signed(Str(v["signed"])));
    ASSERT_TRUE(sub.has_value()) << Str(v["stream"]);
    EXPECT_TRUE(sub->confirmed) << Str(v["stream"]) << ": " << sub->log;
    EXPECT_EQ(sub->stream, Str(v["stream"]));
    EXPECT_EQ(sub->log, "");
  }
}

TEST(LocalChannelsTest, SignedNamesRejectedWithTheReasonLogged) {
  const auto& vectors = AuthVectors()["signed_streams"];
  const auto& v = vectors[0];
  const std::string good = Str(v["signed"]);
  const LocalChannels channels(WithStreamsSecret(Str(v["secret"])));

  std::string tampered = good;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  for (const std::string& bad :
       {tampered, Str(vectors[2]["signed"]), std::string("chat/42"), std::string("")}) {
    const auto sub = channels.Subscribe(Signed(bad));
    ASSERT_TRUE(sub.has_value()) << bad;
    EXPECT_FALSE(sub->confirmed) << bad;
    EXPECT_EQ(sub->stream, "") << bad;
    EXPECT_TRUE(sub->istate.empty()) << bad;
    EXPECT_NE(sub->log, "") << bad;
  }
  EXPECT_EQ(channels.Subscribe(Signed(tampered))->log, "signature does not match the secret");

  const LocalChannels no_secret{ServerConfig{}};
  const auto sub = no_secret.Subscribe(Signed(good));
  ASSERT_TRUE(sub.has_value()) << "$pubsub is always answered locally";
  EXPECT_FALSE(sub->confirmed);
  EXPECT_EQ(sub->log, "signed streams need --streams_secret or --secret");
}

TEST(LocalChannelsTest, TheStreamsSecretFallsBackToTheCommonSecret) {
  const auto& v = AuthVectors()["signed_streams"][0];
  ServerConfig config;
  config.secret = Str(v["secret"]);
  EXPECT_TRUE(LocalChannels(config).Subscribe(Signed(Str(v["signed"])))->confirmed);
  config.streams_secret = "another";
  EXPECT_FALSE(LocalChannels(config).Subscribe(Signed(Str(v["signed"])))->confirmed)
      << "the specific secret wins";
}

TEST(LocalChannelsTest, SignedStreamsCarryPresenceAndOptionallyWhisperState) {
  const auto& v = AuthVectors()["signed_streams"][0];
  const std::string stream = Str(v["stream"]);
  ServerConfig config = WithStreamsSecret(Str(v["secret"]));

  EXPECT_EQ(LocalChannels(config).Subscribe(Signed(Str(v["signed"])))->istate,
            (StateMap{{"$p", stream}}))
      << "presence is on and whisper off by default";
  config.streams_whisper = true;
  EXPECT_EQ(LocalChannels(config).Subscribe(Signed(Str(v["signed"])))->istate,
            (StateMap{{"$p", stream}, {"$w", stream}}));
  config.streams_presence = false;
  EXPECT_EQ(LocalChannels(config).Subscribe(Signed(Str(v["signed"])))->istate,
            (StateMap{{"$w", stream}}));
  config.streams_whisper = false;
  EXPECT_EQ(LocalChannels(config).Subscribe(Signed(Str(v["signed"])))->istate, StateMap{});
}

TEST(LocalChannelsTest, PublicStreamsOnlyWhenEnabledAndAlwaysWithWhisperAndPresence) {
  ServerConfig config;
  config.streams_presence = false;
  const auto disabled = LocalChannels(config).Subscribe(Public("lobby"));
  ASSERT_TRUE(disabled.has_value());
  EXPECT_FALSE(disabled->confirmed);
  EXPECT_EQ(disabled->log, "public streams are disabled (--public_streams)");

  for (bool is_public : {false, true}) {
    ServerConfig enabled = config;
    (is_public ? enabled.is_public : enabled.public_streams) = true;
    const auto sub = LocalChannels(enabled).Subscribe(Public("lobby"));
    ASSERT_TRUE(sub.has_value());
    EXPECT_TRUE(sub->confirmed) << (is_public ? "--public" : "--public_streams");
    EXPECT_EQ(sub->stream, "lobby");
    EXPECT_EQ(sub->istate, (StateMap{{"$p", "lobby"}, {"$w", "lobby"}}));
  }

  config.public_streams = true;
  const auto empty = LocalChannels(config).Subscribe(Public(""));
  EXPECT_FALSE(empty->confirmed);
  EXPECT_EQ(empty->log, "empty stream name");
}

TEST(LocalChannelsTest, ASignedNameTakesPrecedenceOverAPublicOne) {
  const auto& v = AuthVectors()["signed_streams"][0];
  ServerConfig config = WithStreamsSecret(Str(v["secret"]));
  config.public_streams = true;
  const auto sub = LocalChannels(config).Subscribe(json{
      {"channel", "$pubsub"},
      {"stream_name", "lobby"},
      {"signed_stream_name", "forged"}}.dump());
  EXPECT_FALSE(sub->confirmed) << "a bad signature is not rescued by the public name";
  EXPECT_EQ(sub->stream, "");
}

TEST(LocalChannelsTest, PubsubWithoutAStreamNameIsRejected) {
  ServerConfig config;
  config.public_streams = true;
  const LocalChannels channels(config);
  for (const std::string& identifier :
       {std::string(R"({"channel":"$pubsub"})"),
        std::string(R"({"channel":"$pubsub","stream_name":42,"signed_stream_name":null})")}) {
    const auto sub = channels.Subscribe(identifier);
    ASSERT_TRUE(sub.has_value()) << identifier;
    EXPECT_FALSE(sub->confirmed) << identifier;
    EXPECT_EQ(sub->log, "neither signed_stream_name nor stream_name given") << identifier;
  }
}

TEST(LocalChannelsTest, ThePubsubChannelNameComesFromTheConfig) {
  ServerConfig config;
  config.public_streams = true;
  config.pubsub_channel = "$streams";
  const LocalChannels channels(config);
  EXPECT_TRUE(channels.Subscribe(Identifier("$streams", "stream_name", "lobby"))->confirmed);
  EXPECT_FALSE(channels.Subscribe(Public("lobby")).has_value()) << "$pubsub is an app channel now";
}

TEST(LocalChannelsTest, TurboStreamsVerifyRailsSignedNames) {
  const auto& rails = AuthVectors()["rails_message_verifier"];
  ServerConfig config;
  config.turbo_streams = true;
  config.turbo_streams_secret = Str(rails["secret"]);
  config.streams_whisper = true;
  const LocalChannels channels(config);
  for (const auto& v : rails["signed"]) {
    const auto sub = channels.Subscribe(Signed(Str(v["signed"]), "Turbo::StreamsChannel"));
    ASSERT_TRUE(sub.has_value());
    EXPECT_TRUE(sub->confirmed) << Str(v["stream"]) << ": " << sub->log;
    EXPECT_EQ(sub->stream, Str(v["stream"]));
    EXPECT_TRUE(sub->istate.empty()) << "whisper and presence are $pubsub's";
  }

  const auto unsigned_name = channels.Subscribe(R"({"channel":"Turbo::StreamsChannel"})");
  ASSERT_TRUE(unsigned_name.has_value());
  EXPECT_FALSE(unsigned_name->confirmed);
  EXPECT_EQ(unsigned_name->log, "no signed stream name");
  EXPECT_FALSE(channels.Subscribe(Signed("forged", "Turbo::StreamsChannel"))->confirmed);
}

TEST(LocalChannelsTest, TurboSecretFallsBackToTheStreamsSecretThenTheCommonOne) {
  const auto& rails = AuthVectors()["rails_message_verifier"];
  const std::string identifier = Signed(Str(rails["signed"][0]["signed"]), "Turbo::StreamsChannel");
  ServerConfig config;
  config.turbo_streams = true;
  config.secret = Str(rails["secret"]);
  EXPECT_TRUE(LocalChannels(config).Subscribe(identifier)->confirmed) << "common secret";
  config.streams_secret = "another";
  EXPECT_FALSE(LocalChannels(config).Subscribe(identifier)->confirmed) << "streams secret wins";
  config.turbo_streams_secret = Str(rails["secret"]);
  EXPECT_TRUE(LocalChannels(config).Subscribe(identifier)->confirmed) << "turbo secret wins";
}

TEST(LocalChannelsTest, TurboStreamsGoToTheControllerUnlessEnabledWithASecret) {
  const auto& rails = AuthVectors()["rails_message_verifier"];
  const std::string identifier = Signed(Str(rails["signed"][0]["signed"]), "Turbo::StreamsChannel");
  ServerConfig config;
  config.secret = Str(rails["secret"]);
  EXPECT_FALSE(LocalChannels(config).Subscribe(identifier).has_value()) << "--turbo_streams off";
  ServerConfig no_secret;
  no_secret.turbo_streams = true;
  EXPECT_FALSE(LocalChannels(no_secret).Subscribe(identifier).has_value())
      << "enabled without any secret: the application may implement the channel";
}

TEST(LocalChannelsTest, CableReadyVerifiesItsIdentifierParameter) {
  const auto& v = AuthVectors()["signed_streams"][2];
  const std::string identifier = Identifier("CableReady::Stream", "identifier", Str(v["signed"]));
  ServerConfig config;
  config.cable_ready = true;
  config.cable_ready_secret = Str(v["secret"]);
  const auto sub = LocalChannels(config).Subscribe(identifier);
  ASSERT_TRUE(sub.has_value());
  EXPECT_TRUE(sub->confirmed) << sub->log;
  EXPECT_EQ(sub->stream, Str(v["stream"]));
  EXPECT_TRUE(sub->istate.empty());

  const auto wrong_key =
      LocalChannels(config).Subscribe(Signed(Str(v["signed"]), "CableReady::Stream"));
  EXPECT_FALSE(wrong_key->confirmed) << "the name travels as `identifier`";
  EXPECT_EQ(wrong_key->log, "no signed stream name");

  config.cable_ready_secret = "";
  config.streams_secret = Str(v["secret"]);
  EXPECT_TRUE(LocalChannels(config).Subscribe(identifier)->confirmed) << "streams secret";
  config.cable_ready_secret = "another";
  EXPECT_FALSE(LocalChannels(config).Subscribe(identifier)->confirmed) << "its own secret wins";
  config.cable_ready = false;
  EXPECT_FALSE(LocalChannels(config).Subscribe(identifier).has_value()) << "--cable_ready off";
}

TEST(LocalChannelsTest, AnythingElseGoesToTheController) {
  ServerConfig config;
  config.secret = "s3Krit";
  config.public_streams = true;
  config.turbo_streams = true;
  config.cable_ready = true;
  const LocalChannels channels(config);
  const std::string deep = R"({"channel":"$pubsub","stream_name":"x","n":)" +
                           std::string(100, '[') + std::string(100, ']') + "}";
  for (const std::string& identifier :
       {std::string(R"({"channel":"ChatChannel","stream_name":"x"})"),
        std::string(R"({"channel":"$PUBSUB","stream_name":"x"})"),
        std::string(R"({"channel":["$pubsub"],"stream_name":"x"})"),
        std::string(R"({"stream_name":"x"})"), std::string(R"(["$pubsub"])"),
        std::string(R"("$pubsub")"), std::string(R"({"channel":"$pubsub")"), std::string(""),
        deep}) {
    EXPECT_FALSE(channels.Subscribe(identifier).has_value()) << identifier;
  }
  EXPECT_TRUE(channels.Subscribe(Public("x")).has_value()) << "the same server answers $pubsub";
}

}  // namespace
}  // namespace cable::server
