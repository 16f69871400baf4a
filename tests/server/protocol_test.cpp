// The Action Cable protocol as AnyT checks it (spec/anyt-catalogue.md §4),
// against the real `cable serve` with the in-process `anyt` backend. AnyT's
// fixed sleeps are replaced by barriers: a `ping` command's pong proves that
// every earlier command of that session has been applied.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>

#include "server/server_test_helpers.h"

namespace cable::testing {
namespace {

using namespace std::chrono_literals;

const Json kWelcome = {{"type", "welcome"}};

// One server for every test that does not depend on what other tests'
// sessions do when they go away.
class AnytProtocolTest : public SharedServerTest<AnytProtocolTest> {
 public:
  static ServeOptions Options() {
    ServeOptions options;
    options.backend = AnytWithTestChannels();
    options.args = {"--headers", "cookie,x-api-token"};
    return options;
  }
  static void Broadcast(const std::string& stream, const Json& payload) {
    ASSERT_EQ(server().Broadcast(Publication(stream, payload).dump()), 201)
        << "broadcast to " << stream;
  }
};

// ----------------------------------------------------------------- core

TEST_F(AnytProtocolTest, WelcomeIsTheFirstMessage) {
  auto client = server().Connect();
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_TRUE(ReceivesMessage(*client, kWelcome, kReceiveTimeout, Skip::kNothing));
}

TEST_F(AnytProtocolTest, PingsWithIntervalFromQueryCarryIncreasingSecondTimestamps) {
  auto client = server().Connect("/cable?pi=1");
  ASSERT_TRUE(client.ok()) << client.error().message;
  ASSERT_TRUE(ReceivesMessage(*client, kWelcome, kReceiveTimeout, Skip::kNothing));
  // Nothing but pings may arrive: AnyT's ping client ignores only welcome.
  auto first = NextMessage(*client, 3s, Skip::kNothing);
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = NextMessage(*client, 3s, Skip::kNothing);
  ASSERT_TRUE(second.ok()) << second.error().message;
  for (const Json* ping : {&*first, &*second}) {
    ASSERT_EQ((*ping)["type"], "ping") << ping->dump();
    ASSERT_TRUE((*ping)["message"].is_number_integer()) << ping->dump();
  }
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  EXPECT_GT((*second)["message"].get<int64_t>(), (*first)["message"].get<int64_t>())
      << "ping timestamps must strictly increase: " << first->dump() << " " << second->dump();
  EXPECT_NEAR(static_cast<double>((*second)["message"].get<int64_t>()), static_cast<double>(now_s),
              5.0)
      << "timestamps are Unix seconds";
}

TEST_F(AnytProtocolTest, PingTimestampPrecisionMsGivesMilliseconds) {
  auto client = server().Connect("/cable?pi=1&ptp=ms");
  ASSERT_TRUE(client.ok()) << client.error().message;
  ASSERT_TRUE(ReceivesMessage(*client, kWelcome, kReceiveTimeout, Skip::kNothing));
  auto first = NextMessage(*client, 3s, Skip::kNothing);
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = NextMessage(*client, 3s, Skip::kNothing);
  ASSERT_TRUE(second.ok()) << second.error().message;
  ASSERT_EQ((*first)["type"], "ping") << first->dump();
  ASSERT_EQ((*second)["type"], "ping") << second->dump();
  ASSERT_TRUE((*first)["message"].is_number_integer()) << first->dump();
  ASSERT_TRUE((*second)["message"].is_number_integer()) << second->dump();
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const int64_t a = (*first)["message"], b = (*second)["message"];
  EXPECT_NEAR(static_cast<double>(b), static_cast<double>(now_ms), 5000.0)
      << "timestamps are Unix milliseconds: " << second->dump();
  EXPECT_GT(b - a, 500) << "pings one second apart, in ms: " << a << " then " << b;
  EXPECT_LT(b - a, 2000) << "pings one second apart, in ms: " << a << " then " << b;
}

TEST_F(AnytProtocolTest, PingCommandIsAnsweredWithPong) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  ASSERT_TRUE(client.SendText(R"({"command":"ping"})").ok());
  EXPECT_TRUE(ReceivesMessage(client, Json{{"type", "pong"}}));
}

// --------------------------------------------------------- subscriptions

TEST_F(AnytProtocolTest, SubscriptionIsConfirmed) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = AnytIdentifier("SubscriptionAknowledgementChannel");
  ASSERT_TRUE(client.SendText(SubscribeCommand(id)).ok());
  EXPECT_TRUE(ReceivesMessage(client, ConfirmMessage(id)));
}

TEST_F(AnytProtocolTest, SubscriptionIsRejected) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = AnytIdentifier("SubscriptionAknowledgementRejectorChannel");
  ASSERT_TRUE(client.SendText(SubscribeCommand(id)).ok());
  EXPECT_TRUE(ReceivesMessage(client, RejectMessage(id)));
  // A rejected subscription does not exist: performing on it does nothing.
  ASSERT_TRUE(client.SendText(PerformCommand(id, {{"action", "tick"}})).ok());
  EXPECT_TRUE(Pongs(client));
}

TEST_F(AnytProtocolTest, SameChannelWithDifferentParamsIsTwoSubscriptions) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id1 = AnytIdentifier("SubscriptionWithParamsChannel", {{"id", 1}});
  const auto id2 = AnytIdentifier("SubscriptionWithParamsChannel", {{"id", 2}});
  ASSERT_TRUE(client.SendText(SubscribeCommand(id1)).ok());
  EXPECT_TRUE(ReceivesMessage(client, ConfirmMessage(id1)));
  ASSERT_TRUE(client.SendText(SubscribeCommand(id2)).ok());
  EXPECT_TRUE(ReceivesMessage(client, ConfirmMessage(id2)));
}

TEST_F(AnytProtocolTest, IdentifierIsEchoedByteForByte) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  // Unusual spacing and key order must come back exactly as sent.
  const std::string id =
      R"({ "id" : 7,  "channel":"Anyt::TestChannels::SubscriptionWithParamsChannel" })";
  ASSERT_TRUE(client.SendText(SubscribeCommand(id)).ok());
  EXPECT_TRUE(ReceivesMessage(client, ConfirmMessage(id)));
}

TEST_F(AnytProtocolTest, IdentifierWithEscapesAndUnicodeIsEchoedIntact) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const std::string id = R"({"channel":"Test::StreamChannel","stream":"caf\u00e9 \"q\" ✓ \\ /"})";
  ASSERT_TRUE(client.SendText(SubscribeCommand(id)).ok());
  EXPECT_TRUE(ReceivesMessage(client, ConfirmMessage(id)));
  Broadcast("café \"q\" ✓ \\ /", "ok");
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, "ok")));
}

TEST_F(AnytProtocolTest, PerformWithoutArgumentsTransmits) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = AnytIdentifier("SubscriptionPerformMethodsChannel");
  ASSERT_TRUE(Subscribes(client, id));
  ASSERT_TRUE(client.SendText(PerformCommand(id, {{"action", "tick"}})).ok());
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, "tock")));
}

TEST_F(AnytProtocolTest, PerformWithArgumentsReceivesThem) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = AnytIdentifier("SubscriptionPerformMethodsChannel");
  ASSERT_TRUE(Subscribes(client, id));
  ASSERT_TRUE(client.SendText(PerformCommand(id, {{"action", "echo"}, {"text", "hello"}})).ok());
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"response", "hello"}})));
}

TEST_F(AnytProtocolTest, TransmissionsFromSubscribedPrecedeTheConfirmationInOrder) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = AnytIdentifier("SubscriptionTransmissionsChannel");
  ASSERT_TRUE(client.SendText(SubscribeCommand(id)).ok());
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, "hello")));
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, "world")));
  EXPECT_TRUE(ReceivesMessage(client, ConfirmMessage(id)));
}

TEST_F(AnytProtocolTest, DuplicateSubscribeIsIgnoredAndSessionKeepsWorking) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = StreamIdentifier("duplicate-subscribe");
  ASSERT_TRUE(Subscribes(client, id));
  ASSERT_TRUE(client.SendText(SubscribeCommand(id)).ok());
  // The pong is the very next message: no second confirmation.
  EXPECT_TRUE(Pongs(client));
  // Still one subscription: a broadcast arrives once.
  Broadcast("duplicate-subscribe", {{"n", 1}});
  Broadcast("duplicate-subscribe", {{"n", 2}});
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"n", 1}})));
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"n", 2}})));
}

TEST_F(AnytProtocolTest, CommandsForUnknownSubscriptionsAreIgnored) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = AnytIdentifier("SubscriptionPerformMethodsChannel");
  ASSERT_TRUE(client.SendText(PerformCommand(id, {{"action", "tick"}})).ok());
  ASSERT_TRUE(client.SendText(UnsubscribeCommand(id)).ok());
  EXPECT_TRUE(Pongs(client));
}

// ---------------------------------------------------------------- streams

TEST_F(AnytProtocolTest, BroadcastObjectArrivesAsObject) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = AnytIdentifier("BroadcastDataToStreamChannel");
  ASSERT_TRUE(Subscribes(client, id));
  const Json payload = {
      {"data", {{"user_id", 1}, {"status", "left"}, {"meta", {{"connection_time", "10s"}}}}}};
  Broadcast("a", payload);
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, payload)));
}

TEST_F(AnytProtocolTest, BroadcastCustomStringArrivesAsString) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = AnytIdentifier("BroadcastDataToStreamChannel");
  ASSERT_TRUE(Subscribes(client, id));
  Broadcast("a", "<script>alert('Message!');</script>");
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, "<script>alert('Message!');</script>")));
}

TEST_F(AnytProtocolTest, BroadcastJsonStringStaysAString) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = AnytIdentifier("BroadcastDataToStreamChannel");
  ASSERT_TRUE(Subscribes(client, id));
  const std::string text = R"({"script":{"alert":"Message!"}})";
  Broadcast("a", text);
  auto message = NextMessage(client);
  ASSERT_TRUE(message.ok()) << message.error().message;
  ASSERT_TRUE((*message)["message"].is_string()) << "decoded twice: " << message->dump();
  EXPECT_EQ((*message)["message"], text);
  EXPECT_EQ((*message)["identifier"], id);
}

TEST_F(AnytProtocolTest, BroadcastKeepsUnicodeAndEscapes) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = StreamIdentifier("unicode");
  ASSERT_TRUE(Subscribes(client, id));
  const Json payload = {{"text", "héllo ✓ 😀 \"quoted\" \\ </script>\n\t"}, {"n", -1.5}};
  Broadcast("unicode", payload);
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, payload)));
}

TEST_F(AnytProtocolTest, BroadcastThatIsNotJsonArrivesAsRawString) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = StreamIdentifier("raw-data");
  ASSERT_TRUE(Subscribes(client, id));
  ASSERT_EQ(server().Broadcast(R"({"stream":"raw-data","data":"not json {"})"), 201);
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, "not json {")));
}

TEST_F(AnytProtocolTest, MultipleClientsReceiveTheStream) {
  ASSERT_CONNECTED(client1, ConnectWelcomed(server()));
  ASSERT_CONNECTED(client2, ConnectWelcomed(server()));
  const auto id = AnytIdentifier("StreamsWithManyClientsChannel");
  ASSERT_TRUE(Subscribes(client1, id));
  ASSERT_TRUE(Subscribes(client2, id));
  Broadcast("a", {{"data", "X"}});
  EXPECT_TRUE(ReceivesMessage(client1, DataMessage(id, {{"data", "X"}})));
  EXPECT_TRUE(ReceivesMessage(client2, DataMessage(id, {{"data", "X"}})));
}

TEST_F(AnytProtocolTest, UnsubscribeStopsDeliveryToThatClientOnly) {
  ASSERT_CONNECTED(client1, ConnectWelcomed(server()));
  ASSERT_CONNECTED(client2, ConnectWelcomed(server()));
  const auto id = AnytIdentifier("StreamsWithManyClientsChannel");
  ASSERT_TRUE(Subscribes(client1, id));
  ASSERT_TRUE(Subscribes(client2, id));
  Broadcast("a", {{"data", "X"}});
  EXPECT_TRUE(ReceivesMessage(client1, DataMessage(id, {{"data", "X"}})));
  EXPECT_TRUE(ReceivesMessage(client2, DataMessage(id, {{"data", "X"}})));

  ASSERT_TRUE(client1.SendText(UnsubscribeCommand(id)).ok());
  ASSERT_TRUE(Pongs(client1));  // no unsubscribe ack exists; the pong is the barrier
  Broadcast("a", {{"data", "Y"}});
  EXPECT_TRUE(ReceivesMessage(client2, DataMessage(id, {{"data", "Y"}})));
  EXPECT_TRUE(ReceivesNothing(client1));
}

TEST_F(AnytProtocolTest, SingleStreamDeliversInOrder) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = AnytIdentifier("SingleStreamChannel");
  ASSERT_TRUE(Subscribes(client, id));
  Broadcast("a", {{"data", "X"}});
  Broadcast("a", {{"data", "Y"}});
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"data", "X"}})));
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"data", "Y"}})));
}

TEST_F(AnytProtocolTest, SingleStreamStopsAfterUnsubscribe) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = AnytIdentifier("SingleStreamChannel");
  ASSERT_TRUE(Subscribes(client, id));
  Broadcast("a", {{"data", "X"}});
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"data", "X"}})));
  ASSERT_TRUE(client.SendText(UnsubscribeCommand(id)).ok());
  ASSERT_TRUE(Pongs(client));
  Broadcast("a", {{"data", "Y"}});
  EXPECT_TRUE(ReceivesNothing(client));
}

TEST_F(AnytProtocolTest, OneSubscriptionReceivesFromAllItsStreams) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = AnytIdentifier("MultipleStreamsChannel");
  ASSERT_TRUE(Subscribes(client, id));
  Broadcast("a", {{"data", "X"}});
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"data", "X"}})));
  Broadcast("b", {{"data", "Y"}});
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"data", "Y"}})));
}

TEST_F(AnytProtocolTest, UnsubscribeStopsEveryStreamOfTheSubscription) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = AnytIdentifier("MultipleStreamsChannel");
  ASSERT_TRUE(Subscribes(client, id));
  Broadcast("a", {{"data", "X"}});
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"data", "X"}})));
  ASSERT_TRUE(client.SendText(UnsubscribeCommand(id)).ok());
  ASSERT_TRUE(Pongs(client));
  Broadcast("a", {{"data", "Y"}});
  Broadcast("b", {{"data", "Z"}});
  EXPECT_TRUE(ReceivesNothing(client));
}

TEST_F(AnytProtocolTest, SameStreamInTwoSubscriptionsDeliversOncePerIdentifier) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id1 = AnytIdentifier("SingleStreamChannel");
  const auto id2 = AnytIdentifier("SingleStreamChannel", {{"some_param", "test"}});
  ASSERT_TRUE(Subscribes(client, id1));
  ASSERT_TRUE(Subscribes(client, id2));
  Broadcast("a", {{"data", "XX"}});
  EXPECT_TRUE(ReceivesMessagesInAnyOrder(
      client, {DataMessage(id1, {{"data", "XX"}}), DataMessage(id2, {{"data", "XX"}})}));
  EXPECT_TRUE(ReceivesNothing(client));
}

TEST_F(AnytProtocolTest, StopStreamFromStopsOnlyThatStream) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = AnytIdentifier("StopStreamsChannel");
  ASSERT_TRUE(Subscribes(client, id));
  Broadcast("a", {{"data", "X"}});
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"data", "X"}})));
  ASSERT_TRUE(client.SendText(PerformCommand(id, {{"action", "unfollow"}, {"name", "a"}})).ok());
  ASSERT_TRUE(Pongs(client));
  Broadcast("a", {{"data", "Y"}});
  Broadcast("b", {{"data", "Z"}});
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"data", "Z"}})));
}

// ---------------------------------------------------------------- request

TEST_F(AnytProtocolTest, ChannelSeesTheConnectionRequestQuery) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server(), "/cable?token=secret"));
  const auto id = AnytIdentifier("RequestChannel");
  ASSERT_TRUE(client.SendText(SubscribeCommand(id)).ok());
  EXPECT_TRUE(ReceivesMessage(client, ConfirmMessage(id)));
}

TEST_F(AnytProtocolTest, ChannelRejectsWhenTheRequestQueryLacksTheToken) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server(), "/cable?token=wrong"));
  const auto id = AnytIdentifier("RequestChannel");
  ASSERT_TRUE(client.SendText(SubscribeCommand(id)).ok());
  EXPECT_TRUE(ReceivesMessage(client, RejectMessage(id)));
}

TEST_F(AnytProtocolTest, ConnectionSeesTheRequestUrl) {
  auto client = server().Connect("/cable?test=request_url");
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_TRUE(ReceivesMessage(*client, kWelcome));
}

TEST_F(AnytProtocolTest, ConnectionWithoutRequiredCookieIsRejectedAndClosed) {
  auto client = server().Connect("/cable?test=cookies", {{"cookie", ""}});
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_TRUE(ReceivesMessage(
      *client, {{"type", "disconnect"}, {"reason", "unauthorized"}, {"reconnect", false}},
      kReceiveTimeout, Skip::kNothing));
  EXPECT_TRUE(ReceivesClose(*client, 1000));
}

TEST_F(AnytProtocolTest, ConnectionWithRequiredCookieIsAccepted) {
  auto client = server().Connect("/cable?test=cookies", {{"cookie", "username=john green"}});
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_TRUE(ReceivesMessage(*client, kWelcome));
}

TEST_F(AnytProtocolTest, ConnectionWithoutRequiredHeaderIsRejectedAndClosed) {
  auto client = server().Connect("/cable?test=headers");
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_TRUE(ReceivesMessage(
      *client, {{"type", "disconnect"}, {"reason", "unauthorized"}, {"reconnect", false}},
      kReceiveTimeout, Skip::kNothing));
  EXPECT_TRUE(ReceivesClose(*client, 1000));
}

TEST_F(AnytProtocolTest, ConnectionWithRequiredHeaderIsAccepted) {
  auto client = server().Connect("/cable?test=headers", {{"x-api-token", "abc"}});
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_TRUE(ReceivesMessage(*client, kWelcome));
}

TEST_F(AnytProtocolTest, RejectedConnectionGetsUnauthorizedDisconnectThenClose) {
  auto client = server().Connect("/cable?test=reasons&reason=unauthorized");
  ASSERT_TRUE(client.ok()) << client.error().message;
  // The very first message, no welcome before it, exact shape.
  auto first = NextMessage(*client, kReceiveTimeout, Skip::kNothing);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(*first,
            Json::parse(R"({"type":"disconnect","reason":"unauthorized","reconnect":false})"));
  EXPECT_TRUE(ReceivesClose(*client, 1000));
}

// ------------------------------------------------------- remote disconnect

TEST_F(AnytProtocolTest, RemoteDisconnectClosesEverySessionWithThoseIdentifiers) {
  auto first = server().Connect("/cable?test=uid&uid=26");
  auto second = server().Connect("/cable?test=uid&uid=26");
  auto bystander = server().Connect("/cable?test=uid&uid=27");
  ASSERT_TRUE(first.ok() && second.ok() && bystander.ok());
  ASSERT_TRUE(ReceivesMessage(*first, kWelcome));
  ASSERT_TRUE(ReceivesMessage(*second, kWelcome));
  ASSERT_TRUE(ReceivesMessage(*bystander, kWelcome));

  ASSERT_EQ(
      server().Broadcast(
          R"({"command":"disconnect","payload":{"identifier":"{\"uid\":\"26\"}","reconnect":true}})"),
      201);
  for (ws::Client* c : {&*first, &*second}) {
    EXPECT_TRUE(
        ReceivesMessage(*c, {{"type", "disconnect"}, {"reason", "remote"}, {"reconnect", true}}));
    EXPECT_TRUE(ReceivesClose(*c, 1000));
  }
  EXPECT_TRUE(Pongs(*bystander)) << "a session with other identifiers stays connected";
}

TEST_F(AnytProtocolTest, RemoteDisconnectPassesTheReconnectFlag) {
  auto client = server().Connect("/cable?test=uid&uid=remote-no-reconnect");
  ASSERT_TRUE(client.ok()) << client.error().message;
  ASSERT_TRUE(ReceivesMessage(*client, kWelcome));
  ASSERT_EQ(
      server().Broadcast(
          R"({"command":"disconnect","payload":{"identifier":"{\"uid\":\"remote-no-reconnect\"}","reconnect":false}})"),
      201);
  EXPECT_TRUE(ReceivesMessage(
      *client, {{"type", "disconnect"}, {"reason", "remote"}, {"reconnect", false}}));
  EXPECT_TRUE(ReceivesClose(*client, 1000));
}

// Tests whose channels broadcast from unsubscribe callbacks to fixed stream
// names: a session left over from another test would broadcast into them,
// so each test gets a server of its own.
class AnytCallbacksTest : public ::testing::Test {
 protected:
  AnytCallbacksTest() : server_(Options()) {}
  static ServeOptions Options() {
    ServeOptions options;
    options.backend = "anyt";
    return options;
  }
  // Closes the WebSocket the way a browser does and waits for the echo.
  static void CloseClient(ws::Client& client) {
    ASSERT_TRUE(client.SendClose(1000).ok());
    EXPECT_TRUE(ReceivesClose(client, 1000)) << "the server answers a close frame";
    client.Close();
  }
  CableServer server_;
};

TEST_F(AnytCallbacksTest, ChannelStateIsKeptBetweenCommands) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server_));
  const auto id = AnytIdentifier("ChannelStateChannel", {{"name", "chipolino"}});
  ASSERT_TRUE(Subscribes(client, id));
  ASSERT_TRUE(client.SendText(PerformCommand(id, {{"action", "tick"}})).ok());
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"count", 3}, {"name", "chipolino"}})));
  ASSERT_TRUE(client.SendText(PerformCommand(id, {{"action", "tick"}})).ok());
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"count", 5}, {"name", "chipolino"}})));
}

TEST_F(AnytCallbacksTest, ChannelStateIsAvailableInUnsubscribeOnDisconnect) {
  ASSERT_CONNECTED(client1, ConnectWelcomed(server_));
  ASSERT_CONNECTED(client2, ConnectWelcomed(server_));
  const auto id1 = AnytIdentifier("ChannelStateChannel", {{"name", "chipolino"}});
  const auto id2 =
      AnytIdentifier("ChannelStateChannel", {{"name", "chipollone"}, {"notify_disconnect", true}});
  ASSERT_TRUE(Subscribes(client1, id1));
  ASSERT_TRUE(Subscribes(client2, id2));
  CloseClient(client2);
  EXPECT_TRUE(ReceivesMessage(client1, DataMessage(id1, {{"data", "user left: chipollone"}})));
}

TEST_F(AnytCallbacksTest, ChannelStateIsAvailableInUnsubscribeCommand) {
  ASSERT_CONNECTED(client1, ConnectWelcomed(server_));
  ASSERT_CONNECTED(client2, ConnectWelcomed(server_));
  const auto id1 = AnytIdentifier("ChannelStateChannel", {{"name", "chipolino"}});
  const auto id2 = AnytIdentifier("ChannelStateChannel", {{"name", "chipollone"}});
  ASSERT_TRUE(Subscribes(client1, id1));
  ASSERT_TRUE(Subscribes(client2, id2));
  ASSERT_TRUE(client2.SendText(UnsubscribeCommand(id2)).ok());
  EXPECT_TRUE(ReceivesMessage(client1, DataMessage(id1, {{"data", "user left: chipollone"}})));
  // Unsubscribed before its own broadcast went out: client2 does not get it.
  EXPECT_TRUE(Pongs(client2));
}

TEST_F(AnytCallbacksTest, DisconnectUnsubscribesFromEveryChannel) {
  ASSERT_CONNECTED(client1, ConnectWelcomed(server_));
  ASSERT_CONNECTED(client2, ConnectWelcomed(server_));
  const auto a = AnytIdentifier("RequestAChannel");
  const auto b = AnytIdentifier("RequestBChannel");
  for (ws::Client* c : {&client1, &client2}) {
    ASSERT_TRUE(Subscribes(*c, a));
    ASSERT_TRUE(Subscribes(*c, b));
  }
  CloseClient(client2);
  EXPECT_TRUE(ReceivesMessagesInAnyOrder(
      client1, {DataMessage(a, {{"data", "user left"}}), DataMessage(b, {{"data", "user left"}})}));
  EXPECT_TRUE(ReceivesNothing(client1));
}

TEST_F(AnytCallbacksTest, DisconnectUnsubscribesEverySubscriptionOfOneChannel) {
  ASSERT_CONNECTED(client1, ConnectWelcomed(server_));
  ASSERT_CONNECTED(client2, ConnectWelcomed(server_));
  const auto c = AnytIdentifier("RequestCChannel");
  ASSERT_TRUE(Subscribes(client1, c));
  ASSERT_TRUE(Subscribes(client2, AnytIdentifier("RequestCChannel", {{"id", 1}})));
  ASSERT_TRUE(Subscribes(client2, AnytIdentifier("RequestCChannel", {{"id", 2}})));
  CloseClient(client2);
  EXPECT_TRUE(ReceivesMessagesInAnyOrder(client1, {DataMessage(c, {{"data", "user left1"}}),
                                                   DataMessage(c, {{"data", "user left2"}})}));
}

TEST_F(AnytCallbacksTest, DroppedTcpConnectionAlsoUnsubscribes) {
  ASSERT_CONNECTED(client1, ConnectWelcomed(server_));
  ASSERT_CONNECTED(client2, ConnectWelcomed(server_));
  const auto a = AnytIdentifier("RequestAChannel");
  ASSERT_TRUE(Subscribes(client1, a));
  ASSERT_TRUE(Subscribes(client2, a));
  client2.Close();  // no close frame
  EXPECT_TRUE(ReceivesMessage(client1, DataMessage(a, {{"data", "user left"}})));
}

TEST_F(AnytCallbacksTest, ServerRestartDisconnectsEveryClientAndExitsCleanly) {
  auto restart = server_.Connect("/cable?test=reasons&reason=server_restart");
  ASSERT_TRUE(restart.ok()) << restart.error().message;
  ASSERT_TRUE(ReceivesMessage(*restart, kWelcome));
  ASSERT_CONNECTED(subscribed, ConnectWelcomed(server_));
  ASSERT_TRUE(Subscribes(subscribed, AnytIdentifier("SingleStreamChannel")));

  server_.process().Signal(SIGTERM);
  for (ws::Client* c : {&*restart, &subscribed}) {
    EXPECT_TRUE(ReceivesMessage(
        *c, {{"type", "disconnect"}, {"reason", "server_restart"}, {"reconnect", true}}));
    EXPECT_TRUE(ReceivesClose(*c, 1001));
  }
  auto code = server_.process().Wait(std::chrono::seconds(10));
  ASSERT_TRUE(code.has_value()) << "cable serve did not exit after SIGTERM";
  EXPECT_EQ(*code, 0) << server_.process().Stderr();
}

}  // namespace
}  // namespace cable::testing
