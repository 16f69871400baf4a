// Client and publisher input built to hurt the server rather than to use it,
// against the real `cable serve`:
// - JSON nested 100,000 levels deep (in a command, in its identifier, in an
//   HTTP broadcast): once parsed, such a document is re-serialised
//   recursively and overflows the stack, so it must be refused before that
//   and the server must go on serving everyone;
// - more subscriptions than a connection may hold (each identifier a client
//   invents costs the server a frame per broadcast);
// - a broadcast larger than a client's whole pending queue, which a client
//   that keeps up must still receive;
// - close frames with codes RFC 6455 forbids on the wire, and an upgrade in
//   a WebSocket version the server does not speak.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "server/raw_http.h"
#include "server/server_test_helpers.h"
#include "server/slow_client_check.h"

namespace cable::testing {
namespace {

using namespace std::chrono_literals;

// Deeper than any recursive encoder or comparison survives on a default
// thread stack.
constexpr size_t kDeep = 100000;

std::string PubsubIdentifier(const std::string& stream) {
  return Identifier("$pubsub", {{"stream_name", stream}});
}

std::string WhisperCommand(const std::string& identifier, const std::string& raw_data) {
  return R"({"command":"whisper","identifier":)" + Json(identifier).dump() + R"(,"data":)" +
         raw_data + "}";
}

// ------------------------------------------------------------ deep JSON

class DeepJsonTest : public SharedServerTest<DeepJsonTest> {
 public:
  static ServeOptions Options() {
    ServeOptions options;
    options.backend = AnytWithTestChannels();
    // Big enough for 200 KB of brackets in one frame; public streams give
    // a whisper-capable `$pubsub` subscription without signing.
    options.args = {"--max_message_size", "1048576", "--public_streams"};
    return options;
  }

 protected:
  void SetUp() override {
    SharedServerTest::SetUp();
    if (HasFatalFailure()) return;
    auto bystander = ConnectWelcomed(server());
    ASSERT_TRUE(bystander.ok()) << bystander.error().message;
    bystander_ = std::move(bystander.value());
  }
  void TearDown() override {
    EXPECT_TRUE(server().process().running()) << "the server died: " << server().process().Stderr();
    EXPECT_TRUE(Pongs(bystander_)) << "another client must not notice";
  }

  // Sends `frame`; the session must ignore it and answer the next ping.
  void ExpectIgnored(const std::string& frame, const std::string& what) {
    ASSERT_CONNECTED(client, ConnectWelcomed(server()));
    ASSERT_TRUE(client.SendText(frame).ok()) << what;
    EXPECT_TRUE(Pongs(client)) << what << " must be ignored and the session keep serving";
  }

  ws::Client bystander_;
};

TEST_F(DeepJsonTest, WhisperWhoseDataNests100000DeepIsIgnoredAndTheNextWhisperArrives) {
  const auto id = PubsubIdentifier("deep-whisper");
  ASSERT_CONNECTED(sender, ConnectWelcomed(server()));
  ASSERT_CONNECTED(listener, ConnectWelcomed(server()));
  ASSERT_TRUE(Subscribes(sender, id));
  ASSERT_TRUE(Subscribes(listener, id));

  const std::string frame = WhisperCommand(id, NestedArrays(kDeep));
  ASSERT_GT(frame.size(), 2 * kDeep);
  ASSERT_TRUE(sender.SendText(frame).ok());
  EXPECT_TRUE(Pongs(sender)) << "the sender's session keeps serving";
  // Whispers of one session are relayed in order: if the deep one had gone
  // anywhere it would arrive first.
  ASSERT_TRUE(sender.SendText(WhisperCommand(id, R"({"after":"deep"})")).ok());
  EXPECT_TRUE(ReceivesMessage(listener, DataMessage(id, {{"after", "deep"}})))
      << "the deep whisper must not be relayed, the next one must";
}

TEST_F(DeepJsonTest, SubscribeWhoseDataNests100000ArraysDeepIsIgnored) {
  ExpectIgnored(R"({"command":"subscribe","identifier":)" +
                    Json(StreamIdentifier("deep-data")).dump() + R"(,"data":)" +
                    NestedArrays(kDeep) + "}",
                "a subscribe command whose data nests 100,000 arrays");
}

TEST_F(DeepJsonTest, HistoryAndPresenceNested100000ObjectsDeepAreIgnored) {
  std::string nested;
  nested.reserve(kDeep * 6);
  for (size_t i = 0; i < kDeep; ++i) nested += R"({"a":)";
  nested += "1" + std::string(kDeep, '}');
  const std::string id = Json(StreamIdentifier("deep-objects")).dump();
  ExpectIgnored(R"({"command":"history","identifier":)" + id + R"(,"history":)" + nested + "}",
                "a history request of 100,000 nested objects");
  ExpectIgnored(R"({"command":"join","identifier":)" + id + R"(,"presence":)" + nested + "}",
                "a presence join of 100,000 nested objects");
}

TEST_F(DeepJsonTest, FrameOf100000OpeningBracketsIsIgnored) {
  ExpectIgnored(std::string(kDeep, '['), "100,000 '[' that never close");
}

TEST_F(DeepJsonTest, PerformWhoseDataStringNests100000DeepIsIgnored) {
  // The frame itself is shallow; `data` is a string the server passes on
  // to the channel, which has to parse it.
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = AnytIdentifier("SubscriptionPerformMethodsChannel");
  ASSERT_TRUE(Subscribes(client, id));
  Json command = {{"command", "message"}, {"identifier", id}, {"data", NestedArrays(kDeep)}};
  ASSERT_TRUE(client.SendText(command.dump()).ok());
  EXPECT_TRUE(Pongs(client)) << "nothing is sent back for the deep data";
  ASSERT_TRUE(client.SendText(PerformCommand(id, {{"action", "tick"}})).ok());
  EXPECT_TRUE(ReceivesMessage(client, {{"identifier", id}, {"message", "tock"}}))
      << "the subscription keeps working";
}

// An identifier is JSON inside a JSON string: the frame is shallow, the
// identifier is parsed where the subscription is looked up.
class DeepIdentifierTest : public DeepJsonTest,
                           public ::testing::WithParamInterface<const char*> {};

TEST_P(DeepIdentifierTest, SubscribeWithAnIdentifierNested100000DeepIsRefused) {
  const std::string identifier = R"({"channel":")" + std::string(GetParam()) +
                                 R"(","stream_name":)" + NestedArrays(kDeep) + R"(,"stream":)" +
                                 NestedArrays(kDeep) + "}";
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  ASSERT_TRUE(client.SendText(SubscribeCommand(identifier)).ok());
  ASSERT_TRUE(client.SendText(kPingCommand).ok());
  // Refusing may be silent or a reject_subscription; never a confirmation.
  auto first = NextMessage(client);
  ASSERT_TRUE(first.ok()) << first.error().code << ": " << first.error().message;
  if (MatchesSubset(*first, {{"type", "reject_subscription"}})) {
    EXPECT_EQ((*first)["identifier"], identifier) << "the reject names the identifier";
    EXPECT_TRUE(ReceivesMessage(client, {{"type", "pong"}}));
  } else {
    EXPECT_TRUE(MatchesSubset(*first, {{"type", "pong"}}))
        << "expected a reject or the pong, got " << first->dump().substr(0, 200);
  }
  // Other commands of the same session still run.
  EXPECT_TRUE(Subscribes(client, StreamIdentifier("after-deep-identifier")));
}

INSTANTIATE_TEST_SUITE_P(Channels, DeepIdentifierTest,
                         ::testing::Values("$pubsub", "Test::StreamChannel"), [](const auto& info) {
                           return std::string(info.param[0] == '$' ? "LocalPubsub"
                                                                   : "BackendChannel");
                         });

TEST_F(DeepJsonTest, HttpBroadcastNested100000DeepIsAnswered422AndNothingIsDelivered) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = StreamIdentifier("deep-http");
  ASSERT_TRUE(Subscribes(client, id));
  const std::string deep_body =
      R"({"stream":"deep-http","data":"{\"n\":0}","meta":)" + NestedArrays(kDeep) + "}";
  EXPECT_EQ(server().Broadcast(deep_body), 422) << "a publication nested 100,000 deep";
  EXPECT_EQ(server().Broadcast(NestedArrays(kDeep)), 422) << "a batch nested 100,000 deep";
  // A later broadcast on the same stream is the next message: the deep ones
  // went nowhere.
  EXPECT_EQ(server().Broadcast(Publication("deep-http", {{"n", 1}}).dump()), 201);
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"n", 1}})));
}

// ------------------------------------------------ subscriptions per connection

constexpr int kSubscriptionLimit = 4;

class SubscriptionLimitTest : public SharedServerTest<SubscriptionLimitTest> {
 public:
  static ServeOptions Options() {
    ServeOptions options;
    options.backend = AnytWithTestChannels();
    options.args = {"--max_subscriptions_per_connection", std::to_string(kSubscriptionLimit),
                    "--public_streams"};
    return options;
  }
};

// One stream, many identifiers: what a client invents to multiply its cost.
std::string NumberedIdentifier(const std::string& stream, int n) {
  return Identifier("Test::StreamChannel", {{"stream", stream}, {"n", n}});
}

TEST_F(SubscriptionLimitTest, TheSubscriptionBeyondTheLimitIsRejected) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  for (int n = 0; n < kSubscriptionLimit; ++n) {
    ASSERT_TRUE(Subscribes(client, NumberedIdentifier("limit", n))) << "subscription " << n;
  }
  const auto extra = NumberedIdentifier("limit", kSubscriptionLimit);
  ASSERT_TRUE(client.SendText(SubscribeCommand(extra)).ok());
  EXPECT_TRUE(ReceivesMessage(client, RejectMessage(extra)))
      << "subscription " << kSubscriptionLimit + 1 << " of --max_subscriptions_per_connection "
      << kSubscriptionLimit;
  // A local channel counts the same.
  const auto local = PubsubIdentifier("limit");
  ASSERT_TRUE(client.SendText(SubscribeCommand(local)).ok());
  EXPECT_TRUE(ReceivesMessage(client, RejectMessage(local))) << "a $pubsub subscription";
  EXPECT_TRUE(Pongs(client)) << "the connection stays open";

  // The subscriptions it holds keep working; the rejected one gets nothing.
  ASSERT_EQ(server().Broadcast(Publication("limit", {{"k", 1}}).dump()), 201);
  std::vector<Json> expected;
  for (int n = 0; n < kSubscriptionLimit; ++n) {
    expected.push_back(DataMessage(NumberedIdentifier("limit", n), {{"k", 1}}));
  }
  EXPECT_TRUE(ReceivesMessagesInAnyOrder(client, expected));
  EXPECT_TRUE(ReceivesNothing(client)) << "nothing for the rejected identifier";
}

TEST_F(SubscriptionLimitTest, EachConnectionHasItsOwnAllowance) {
  ASSERT_CONNECTED(full, ConnectWelcomed(server()));
  for (int n = 0; n <= kSubscriptionLimit; ++n) {
    ASSERT_TRUE(full.SendText(SubscribeCommand(NumberedIdentifier("own", n))).ok());
  }
  for (int n = 0; n < kSubscriptionLimit; ++n) {
    ASSERT_TRUE(ReceivesMessage(full, ConfirmMessage(NumberedIdentifier("own", n))));
  }
  ASSERT_TRUE(ReceivesMessage(full, RejectMessage(NumberedIdentifier("own", kSubscriptionLimit))));

  ASSERT_CONNECTED(other, ConnectWelcomed(server()));
  for (int n = 0; n < kSubscriptionLimit; ++n) {
    EXPECT_TRUE(Subscribes(other, NumberedIdentifier("own", n)))
        << "another connection, subscription " << n;
  }
}

TEST_F(SubscriptionLimitTest, UnsubscribingFreesASlot) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  for (int n = 0; n < kSubscriptionLimit; ++n) {
    ASSERT_TRUE(Subscribes(client, NumberedIdentifier("slot", n)));
  }
  ASSERT_TRUE(client.SendText(UnsubscribeCommand(NumberedIdentifier("slot", 0))).ok());
  EXPECT_TRUE(Subscribes(client, NumberedIdentifier("slot", kSubscriptionLimit)))
      << "after an unsubscribe there is room for one more";
  const auto beyond = NumberedIdentifier("slot", kSubscriptionLimit + 1);
  ASSERT_TRUE(client.SendText(SubscribeCommand(beyond)).ok());
  EXPECT_TRUE(ReceivesMessage(client, RejectMessage(beyond))) << "and for no more";
}

TEST_F(SubscriptionLimitTest, SubscribingAgainToAHeldIdentifierTakesNoSlot) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  ASSERT_TRUE(Subscribes(client, NumberedIdentifier("again", 0)));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.SendText(SubscribeCommand(NumberedIdentifier("again", 0))).ok());
  }
  EXPECT_TRUE(Pongs(client)) << "a repeated subscribe is ignored";
  for (int n = 1; n < kSubscriptionLimit; ++n) {
    EXPECT_TRUE(Subscribes(client, NumberedIdentifier("again", n))) << "subscription " << n;
  }
}

TEST_F(SubscriptionLimitTest, OneStreamUnderTwoIdentifiersIsDeliveredOncePerIdentifier) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto plain = StreamIdentifier("twice");
  const auto keyed = Identifier("Test::StreamChannel", {{"stream", "twice"}, {"extra", "key"}});
  const auto local = PubsubIdentifier("twice");
  ASSERT_TRUE(Subscribes(client, plain));
  ASSERT_TRUE(Subscribes(client, keyed));
  ASSERT_TRUE(Subscribes(client, local));
  for (int k = 1; k <= 2; ++k) {
    ASSERT_EQ(server().Broadcast(Publication("twice", {{"k", k}}).dump()), 201);
    EXPECT_TRUE(ReceivesMessagesInAnyOrder(
        client, {DataMessage(plain, {{"k", k}}), DataMessage(keyed, {{"k", k}}),
                 DataMessage(local, {{"k", k}})}))
        << "broadcast " << k << ": one message per identifier, no more, no fewer";
  }
  EXPECT_TRUE(ReceivesNothing(client)) << "no duplicates";
}

// Subscribes `count` identifiers on one stream, pipelined, and returns how
// many were confirmed before the first reject (and whether one came).
struct SubscribeOutcome {
  int confirmed = 0;
  bool rejected = false;
  std::string failure;
};
SubscribeOutcome SubscribeMany(ws::Client& client, const std::string& stream, int count) {
  SubscribeOutcome out;
  for (int n = 0; n < count; ++n) {
    if (auto s = client.SendText(SubscribeCommand(NumberedIdentifier(stream, n))); !s.ok()) {
      out.failure = "send failed at " + std::to_string(n) + ": " + s.error().message;
      return out;
    }
  }
  for (int n = 0; n < count; ++n) {
    auto message = NextMessage(client);
    if (!message.ok()) {
      out.failure = "after " + std::to_string(n) + " answers: " + message.error().message;
      return out;
    }
    const std::string type = message->value("type", "");
    if (type == "confirm_subscription") {
      ++out.confirmed;
    } else if (type == "reject_subscription") {
      out.rejected = true;
      if ((*message)["identifier"] != NumberedIdentifier(stream, n)) {
        out.failure = "reject for the wrong identifier: " + message->dump();
      }
    } else {
      out.failure = "unexpected " + message->dump();
      return out;
    }
  }
  return out;
}

TEST(SubscriptionLimitDefaultTest, AConnectionMayHold1024SubscriptionsByDefault) {
  ServeOptions options;
  options.backend = AnytWithTestChannels();
  CableServer server(options);
  ASSERT_CONNECTED(client, ConnectWelcomed(server));
  const auto outcome = SubscribeMany(client, "default-limit", 1025);
  ASSERT_TRUE(outcome.failure.empty()) << outcome.failure;
  EXPECT_EQ(outcome.confirmed, 1024);
  EXPECT_TRUE(outcome.rejected) << "the 1025th subscription is rejected";
}

TEST(SubscriptionLimitDefaultTest, ZeroMeansUnlimited) {
  ServeOptions options;
  options.backend = AnytWithTestChannels();
  options.args = {"--max_subscriptions_per_connection", "0"};
  CableServer server(options);
  ASSERT_CONNECTED(client, ConnectWelcomed(server));
  const auto outcome = SubscribeMany(client, "no-limit", 1100);
  ASSERT_TRUE(outcome.failure.empty()) << outcome.failure;
  EXPECT_EQ(outcome.confirmed, 1100);
  EXPECT_FALSE(outcome.rejected);
}

// ------------------------------------------------------ pending queue limit

class PendingQueueTest : public SharedServerTest<PendingQueueTest> {
 public:
  static ServeOptions Options() {
    ServeOptions options;
    options.backend = AnytWithTestChannels();
    options.args = {"--ws_max_pending_size", "4096", "--ws_write_timeout", "60"};
    return options;
  }
};

TEST_F(PendingQueueTest, ABroadcastLargerThanTheWholeQueueReachesAClientThatReads) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = StreamIdentifier("big-frame");
  ASSERT_TRUE(Subscribes(client, id));
  const std::string text(20000, 'x');
  ASSERT_EQ(server().Broadcast(Publication("big-frame", {{"text", text}}).dump()), 201);
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"text", text}})))
      << "a 20 KB frame with --ws_max_pending_size 4096, to a client that reads";
  ASSERT_EQ(server().Broadcast(Publication("big-frame", {{"n", 2}}).dump()), 201);
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"n", 2}})))
      << "the client was not disconnected as too slow";
  ASSERT_EQ(server().Broadcast(Publication("big-frame", {{"text", text}}).dump()), 201);
  EXPECT_TRUE(ReceivesMessage(client, DataMessage(id, {{"text", text}}))) << "and again";
}

TEST_F(PendingQueueTest, AClientThatStopsReadingIsStillDisconnectedAsTooSlow) {
  const auto id = StreamIdentifier("firehose");
  ASSERT_CONNECTED(slow, ConnectWelcomed(server()));
  ASSERT_CONNECTED(fast, ConnectWelcomed(server()));
  ASSERT_TRUE(Subscribes(slow, id));
  ASSERT_TRUE(Subscribes(fast, id));
  ExpectSlowClientDropped(fast, slow,
                          [&](const std::string& body) { return server().Broadcast(body) == 201; });
}

// ------------------------------------------------------- close handshake

class CloseHandshakeTest : public SharedServerTest<CloseHandshakeTest> {
 protected:
  // Sends a close frame with `payload`; the server must answer with a close
  // frame carrying `expected`.
  void ExpectCloseAnswer(const std::string& payload, uint16_t expected, const std::string& what) {
    ASSERT_CONNECTED(client, ConnectWelcomed(server()));
    ASSERT_TRUE(client.SendRaw(MaskedFrame(0x8, payload)).ok());
    EXPECT_TRUE(ReceivesClose(client, expected)) << what;
  }
};

std::string ClosePayload(uint16_t code, std::string_view reason = {}) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xff));
  payload += reason;
  return payload;
}

std::string CodeName(const ::testing::TestParamInfo<uint16_t>& info) {
  return "code_" + std::to_string(info.param);
}

// RFC 6455 §7.4.1/§7.4.2: 0-999 are unused, 1004-1006 and 1015 reserved
// (1005 and 1006 must never be sent), 1016-2999 for future standards,
// 5000+ undefined.
class ForbiddenCloseCodeTest : public CloseHandshakeTest,
                               public ::testing::WithParamInterface<uint16_t> {};

TEST_P(ForbiddenCloseCodeTest, IsAnsweredWith1002) {
  ExpectCloseAnswer(ClosePayload(GetParam(), "bye"), 1002,
                    "client close code " + std::to_string(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(CloseCodes, ForbiddenCloseCodeTest,
                         ::testing::Values(0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535),
                         CodeName);

class ValidCloseCodeTest : public CloseHandshakeTest,
                           public ::testing::WithParamInterface<uint16_t> {};

TEST_P(ValidCloseCodeTest, IsAnsweredWith1000) {
  ExpectCloseAnswer(ClosePayload(GetParam(), "bye"), 1000,
                    "client close code " + std::to_string(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(CloseCodes, ValidCloseCodeTest,
                         ::testing::Values(1000, 1001, 1002, 1003, 1007, 1011, 3000, 4999),
                         CodeName);

TEST_F(CloseHandshakeTest, CloseWithoutPayloadIsAnsweredWith1000) {
  ExpectCloseAnswer("", 1000, "an empty close frame (no status code)");
}

TEST_F(CloseHandshakeTest, OneByteClosePayloadIsAnsweredWith1002) {
  ExpectCloseAnswer(std::string(1, '\x03'), 1002, "a close payload of one byte");
}

TEST_F(CloseHandshakeTest, CloseReasonThatIsNotUtf8IsAnsweredWith1007) {
  ExpectCloseAnswer(ClosePayload(1000, "\xff\xfe bye"), 1007, "a close reason of invalid UTF-8");
  ExpectCloseAnswer(ClosePayload(4000, "\xed\xa0\x80"), 1007, "a close reason with a surrogate");
}

TEST_F(CloseHandshakeTest, UpgradeInWebSocketVersion8IsAnswered426NamingVersion13) {
  RawConnection conn(server().port());
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(conn.Send(UpgradeRequest("/cable", "8")));
  const RawResponse response = conn.ReadResponse();
  EXPECT_EQ(response.status, 426) << response.error << "\n" << response.head;
  EXPECT_EQ(response.Header("Sec-WebSocket-Version"), "13") << response.head;
  EXPECT_TRUE(conn.WaitForClose()) << "the connection is closed after the refusal";
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  EXPECT_TRUE(Pongs(client)) << "version 13 still works";
}

}  // namespace
}  // namespace cable::testing
