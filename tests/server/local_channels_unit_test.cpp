// LocalChannels::Subscribe, the subscriptions the server answers without
// RPC: `$pubsub` with signed names (tests/vectors/auth.json) and public
// names, Turbo::StreamsChannel and CableReady::Stream signed names (Rails'
// MessageVerifier vectors), the whisper ($w) and presence ($p) state keys,
// which secret verifies what, rejections with the reason logged, and the
// identifiers left to the controller.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
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

// What Subscribe decided, as one line: "controller" (not a local channel),
// "confirmed <stream>" or "rejected: <log>".
std::string Outcome(const std::optional<LocalSubscription>& sub) {
  if (!sub) return "controller";
  if (sub->confirmed) return "confirmed " + sub->stream;
  return "rejected: " + sub->log;
}
std::string Outcome(const ServerConfig& config, const std::string& identifier) {
  return Outcome(LocalChannels(config).Subscribe(identifier));
}
// The channel state a local subscription starts with.
StateMap State(const ServerConfig& config, const std::string& identifier) {
  auto sub = LocalChannels(config).Subscribe(identifier);
  EXPECT_TRUE(sub.has_value()) << identifier;
  if (!sub) return StateMap{{"(controller)", ""}};
  StateMap state;
  if (sub->whisper) state["$w"] = sub->stream;
  if (sub->presence) state["$p"] = sub->stream;
  return state;
}

ServerConfig WithStreamsSecret(const std::string& secret) {
  ServerConfig config;
  config.streams_secret = secret;
  return config;
}

TEST(LocalChannelsTest, ConfirmsEverySignedVectorWithItsStreamName) {
  for (const auto& v : AuthVectors()["signed_streams"]) {
    const auto sub =
        LocalChannels(WithStreamsSecret(Str(v["secret"]))).Subscribe(Signed(Str(v["signed"])));
    EXPECT_EQ(Outcome(sub), "confirmed " + Str(v["stream"]));
    if (sub) {
      EXPECT_EQ(sub->log, "");
    }
  }
}

TEST(LocalChannelsTest, SignedNamesRejectedWithTheReasonLogged) {
  const auto& vectors = AuthVectors()["signed_streams"];
  const auto& v = vectors[0];
  const std::string good = Str(v["signed"]);
  const ServerConfig config = WithStreamsSecret(Str(v["secret"]));

  std::string tampered = good;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  EXPECT_EQ(Outcome(config, Signed(tampered)), "rejected: signature does not match the secret");
  EXPECT_EQ(Outcome(config, Signed(Str(vectors[2]["signed"]))),
            "rejected: signature does not match the secret")
      << "signed with another secret";
  for (const std::string& bad : {std::string("chat/42"), std::string("")}) {
    const auto sub = LocalChannels(config).Subscribe(Signed(bad));
    ASSERT_TRUE(sub.has_value()) << bad;
    EXPECT_FALSE(sub->confirmed) << bad;
    EXPECT_EQ(sub->stream, "") << bad;
    EXPECT_FALSE(sub->whisper || sub->presence) << bad;
    EXPECT_NE(sub->log, "") << bad;
  }

  EXPECT_EQ(Outcome(ServerConfig{}, Signed(good)),
            "rejected: signed streams need --streams_secret or --secret")
      << "$pubsub is answered locally even without a secret";
}

TEST(LocalChannelsTest, TheStreamsSecretFallsBackToTheCommonSecret) {
  const auto& v = AuthVectors()["signed_streams"][0];
  const std::string identifier = Signed(Str(v["signed"]));
  ServerConfig config;
  config.secret = Str(v["secret"]);
  EXPECT_EQ(Outcome(config, identifier), "confirmed " + Str(v["stream"]));
  config.streams_secret = "another";
  EXPECT_EQ(Outcome(config, identifier), "rejected: signature does not match the secret")
      << "the specific secret wins";
}

TEST(LocalChannelsTest, SignedStreamsCarryPresenceAndOptionallyWhisperState) {
  const auto& v = AuthVectors()["signed_streams"][0];
  const std::string stream = Str(v["stream"]);
  const std::string identifier = Signed(Str(v["signed"]));
  ServerConfig config = WithStreamsSecret(Str(v["secret"]));

  EXPECT_EQ(State(config, identifier), (StateMap{{"$p", stream}}))
      << "presence is on and whisper off by default";
  config.streams_whisper = true;
  EXPECT_EQ(State(config, identifier), (StateMap{{"$p", stream}, {"$w", stream}}));
  config.streams_presence = false;
  EXPECT_EQ(State(config, identifier), (StateMap{{"$w", stream}}));
  config.streams_whisper = false;
  EXPECT_EQ(State(config, identifier), StateMap{});
}

TEST(LocalChannelsTest, PublicStreamsOnlyWhenEnabledAndAlwaysWithWhisperAndPresence) {
  ServerConfig config;
  config.streams_presence = false;  // public streams ignore both switches
  EXPECT_EQ(Outcome(config, Public("lobby")),
            "rejected: public streams are disabled (--public_streams)");

  ServerConfig by_flag = config;
  by_flag.public_streams = true;
  ServerConfig by_public_mode = config;
  by_public_mode.is_public = true;
  for (const ServerConfig& enabled : {by_flag, by_public_mode}) {
    EXPECT_EQ(Outcome(enabled, Public("lobby")), "confirmed lobby");
    EXPECT_EQ(State(enabled, Public("lobby")), (StateMap{{"$p", "lobby"}, {"$w", "lobby"}}));
  }
  EXPECT_EQ(Outcome(by_flag, Public("")), "rejected: empty stream name");
}

TEST(LocalChannelsTest, ASignedNameTakesPrecedenceOverAPublicOne) {
  const auto& v = AuthVectors()["signed_streams"][0];
  ServerConfig config = WithStreamsSecret(Str(v["secret"]));
  config.public_streams = true;
  const std::string both =
      json{{"channel", "$pubsub"}, {"stream_name", "lobby"}, {"signed_stream_name", "forged"}}
          .dump();
  EXPECT_EQ(Outcome(config, both).rfind("rejected: ", 0), 0u)
      << "a bad signature is not rescued by the public name";
}

TEST(LocalChannelsTest, PubsubWithoutAStreamNameIsRejected) {
  ServerConfig config;
  config.public_streams = true;
  for (const std::string& identifier :
       {std::string(R"({"channel":"$pubsub"})"),
        std::string(R"({"channel":"$pubsub","stream_name":42,"signed_stream_name":null})")}) {
    EXPECT_EQ(Outcome(config, identifier),
              "rejected: neither signed_stream_name nor stream_name given")
        << identifier;
  }
}

TEST(LocalChannelsTest, ThePubsubChannelNameComesFromTheConfig) {
  ServerConfig config;
  config.public_streams = true;
  config.pubsub_channel = "$streams";
  EXPECT_EQ(Outcome(config, Identifier("$streams", "stream_name", "lobby")), "confirmed lobby");
  EXPECT_EQ(Outcome(config, Public("lobby")), "controller") << "$pubsub is an app channel now";
}

TEST(LocalChannelsTest, TurboStreamsVerifyRailsSignedNames) {
  const auto& rails = AuthVectors()["rails_message_verifier"];
  ServerConfig config;
  config.turbo_streams = true;
  config.turbo_streams_secret = Str(rails["secret"]);
  config.streams_whisper = true;
  for (const auto& v : rails["signed"]) {
    const std::string identifier = Signed(Str(v["signed"]), "Turbo::StreamsChannel");
    EXPECT_EQ(Outcome(config, identifier), "confirmed " + Str(v["stream"]));
    EXPECT_EQ(State(config, identifier), StateMap{}) << "whisper and presence are $pubsub's";
  }
  EXPECT_EQ(Outcome(config, R"({"channel":"Turbo::StreamsChannel"})"),
            "rejected: no signed stream name");
  EXPECT_EQ(Outcome(config, Signed("forged", "Turbo::StreamsChannel")).rfind("rejected: ", 0), 0u);
}

TEST(LocalChannelsTest, TurboSecretFallsBackToTheStreamsSecretThenTheCommonOne) {
  const auto& rails = AuthVectors()["rails_message_verifier"];
  const auto& v = rails["signed"][0];
  const std::string identifier = Signed(Str(v["signed"]), "Turbo::StreamsChannel");
  const std::string confirmed = "confirmed " + Str(v["stream"]);
  const std::string mismatch = "rejected: signature does not match the secret";
  ServerConfig config;
  config.turbo_streams = true;
  config.secret = Str(rails["secret"]);
  EXPECT_EQ(Outcome(config, identifier), confirmed) << "common secret";
  config.streams_secret = "another";
  EXPECT_EQ(Outcome(config, identifier), mismatch) << "the streams secret beats the common one";
  config.secret = "";
  config.streams_secret = Str(rails["secret"]);
  EXPECT_EQ(Outcome(config, identifier), confirmed) << "streams secret";
  config.turbo_streams_secret = "another";
  EXPECT_EQ(Outcome(config, identifier), mismatch) << "the turbo secret beats the streams one";
}

TEST(LocalChannelsTest, TurboStreamsGoToTheControllerUnlessEnabledWithASecret) {
  const auto& rails = AuthVectors()["rails_message_verifier"];
  const std::string identifier = Signed(Str(rails["signed"][0]["signed"]), "Turbo::StreamsChannel");
  ServerConfig config;
  config.secret = Str(rails["secret"]);
  EXPECT_EQ(Outcome(config, identifier), "controller") << "--turbo_streams off";
  ServerConfig no_secret;
  no_secret.turbo_streams = true;
  EXPECT_EQ(Outcome(no_secret, identifier), "controller")
      << "enabled without any secret: the application may implement the channel";
}

TEST(LocalChannelsTest, CableReadyVerifiesItsIdentifierParameter) {
  const auto& v = AuthVectors()["signed_streams"][2];
  const std::string identifier = Identifier("CableReady::Stream", "identifier", Str(v["signed"]));
  const std::string confirmed = "confirmed " + Str(v["stream"]);
  ServerConfig config;
  config.cable_ready = true;
  config.cable_ready_secret = Str(v["secret"]);
  EXPECT_EQ(Outcome(config, identifier), confirmed);
  EXPECT_EQ(State(config, identifier), StateMap{});
  EXPECT_EQ(Outcome(config, Signed(Str(v["signed"]), "CableReady::Stream")),
            "rejected: no signed stream name")
      << "the name travels as `identifier`";

  config.cable_ready_secret = "";
  config.streams_secret = Str(v["secret"]);
  EXPECT_EQ(Outcome(config, identifier), confirmed) << "the streams secret";
  config.cable_ready_secret = "another";
  EXPECT_EQ(Outcome(config, identifier), "rejected: signature does not match the secret")
      << "its own secret wins";
  config.cable_ready = false;
  EXPECT_EQ(Outcome(config, identifier), "controller") << "--cable_ready off";
}

TEST(LocalChannelsTest, AnythingElseGoesToTheController) {
  ServerConfig config;
  config.secret = "s3Krit";
  config.public_streams = true;
  config.turbo_streams = true;
  config.cable_ready = true;
  const std::string deep = R"({"channel":"$pubsub","stream_name":"x","n":)" +
                           std::string(100, '[') + std::string(100, ']') + "}";
  for (const std::string& identifier :
       {std::string(R"({"channel":"ChatChannel","stream_name":"x"})"),
        std::string(R"({"channel":"$PUBSUB","stream_name":"x"})"),
        std::string(R"({"channel":["$pubsub"],"stream_name":"x"})"),
        std::string(R"({"stream_name":"x"})"), std::string(R"(["$pubsub"])"),
        std::string(R"("$pubsub")"), std::string(R"({"channel":"$pubsub")"), std::string(""),
        deep}) {
    EXPECT_EQ(Outcome(config, identifier), "controller") << identifier;
  }
  EXPECT_EQ(Outcome(config, Public("x")), "confirmed x") << "the same server answers $pubsub";
}

}  // namespace
}  // namespace cable::server
