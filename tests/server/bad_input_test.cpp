// What `cable serve` does with malformed client input (spec §1.1, §1.4):
// frames it cannot use are ignored and the session keeps serving; frames
// that break the WebSocket protocol end that session with the right close
// code. Either way other clients are not affected.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "server/server_test_helpers.h"

namespace cable::testing {
namespace {

using namespace std::chrono_literals;

class BadInputTest : public SharedServerTest<BadInputTest> {
 protected:
  void SetUp() override {
    SharedServerTest::SetUp();
    if (HasFatalFailure()) return;
    auto bystander = ConnectWelcomed(server());
    ASSERT_TRUE(bystander.ok()) << bystander.error().message;
    bystander_ = std::move(bystander.value());
  }
  // The other client on the server still gets answers.
  void ExpectBystanderUnaffected() { EXPECT_TRUE(Pongs(bystander_)) << "another client"; }

  // Sends `frame` as a text frame; the session must ignore it (nothing is
  // sent back) and answer the next command.
  void ExpectIgnored(const std::string& frame) {
    ASSERT_CONNECTED(client, ConnectWelcomed(server()));
    ASSERT_TRUE(client.SendText(frame).ok());
    EXPECT_TRUE(Pongs(client)) << "after " << frame;
    ExpectBystanderUnaffected();
  }

  ws::Client bystander_;
};

TEST_F(BadInputTest, NonJsonTextIsIgnored) {
  ExpectIgnored("hello, server");
}

TEST_F(BadInputTest, TruncatedJsonIsIgnored) {
  ExpectIgnored(R"({"command":"subscribe","identifier":)");
}

TEST_F(BadInputTest, JsonArrayIsIgnored) {
  ExpectIgnored(R"([{"command":"ping"}])");
}

TEST_F(BadInputTest, JsonNumberIsIgnored) {
  ExpectIgnored("42");
}

TEST_F(BadInputTest, JsonStringIsIgnored) {
  ExpectIgnored(R"("ping")");
}

TEST_F(BadInputTest, JsonNullIsIgnored) {
  ExpectIgnored("null");
}

TEST_F(BadInputTest, EmptyTextFrameIsIgnored) {
  ExpectIgnored("");
}

TEST_F(BadInputTest, IdentifierAsObjectIsIgnored) {
  ExpectIgnored(
      R"({"command":"subscribe","identifier":{"channel":"Anyt::TestChannels::SubscriptionAknowledgementChannel"}})");
}

TEST_F(BadInputTest, CommandThatIsNotAStringIsIgnored) {
  ExpectIgnored(R"({"command":1,"identifier":"{}"})");
}

TEST_F(BadInputTest, UnknownCommandIsIgnored) {
  ExpectIgnored(R"({"command":"dance","identifier":"{\"channel\":\"X\"}"})");
}

TEST_F(BadInputTest, ObjectWithoutCommandIsIgnored) {
  ExpectIgnored(R"({"identifier":"{\"channel\":\"X\"}"})");
}

TEST_F(BadInputTest, MessageWithNonStringDataIsIgnored) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const auto id = AnytIdentifier("SubscriptionPerformMethodsChannel");
  ASSERT_TRUE(Subscribes(client, id));
  Json command = {{"command", "message"}, {"identifier", id}, {"data", {{"action", "tick"}}}};
  ASSERT_TRUE(client.SendText(command.dump()).ok());
  EXPECT_TRUE(Pongs(client)) << "no tock: the action must not run";
  // The subscription is intact.
  ASSERT_TRUE(client.SendText(PerformCommand(id, {{"action", "tick"}})).ok());
  EXPECT_TRUE(ReceivesMessage(client, {{"identifier", id}, {"message", "tock"}}));
  ExpectBystanderUnaffected();
}

TEST_F(BadInputTest, BinaryFrameIsIgnored) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  ASSERT_TRUE(client.SendBinary(std::string("\x00\x01\x02{\"command\":\"ping\"}", 21)).ok());
  EXPECT_TRUE(Pongs(client));
  ExpectBystanderUnaffected();
}

TEST_F(BadInputTest, FragmentedTextMessageIsReassembled) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  // `{"command":"ping"}` in three frames with a control frame in between.
  ASSERT_TRUE(client
                  .SendRaw(MaskedFrame(0x1, R"({"comm)", false) +
                           MaskedFrame(0x0, "and\":", false) + MaskedFrame(0x9, "still there?") +
                           MaskedFrame(0x0, R"("ping"})", true))
                  .ok());
  EXPECT_TRUE(ReceivesMessage(client, {{"type", "pong"}}));
}

TEST_F(BadInputTest, MessageOfExactly64KiBIsAccepted) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  std::string frame = R"({"command":"ping","pad":")";
  frame += std::string(65536 - frame.size() - 2, 'x') + "\"}";
  ASSERT_EQ(frame.size(), 65536u);
  ASSERT_TRUE(client.SendText(frame).ok());
  EXPECT_TRUE(ReceivesMessage(client, {{"type", "pong"}}));
}

TEST_F(BadInputTest, MessageOver64KiBClosesWith1009) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  std::string frame = R"({"command":"ping","pad":")";
  frame += std::string(65537 - frame.size() - 2, 'x') + "\"}";
  ASSERT_EQ(frame.size(), 65537u);
  (void)client.SendText(frame);  // the server may close before it has read it all
  EXPECT_TRUE(ReceivesClose(client, 1009));
  ExpectBystanderUnaffected();
}

TEST_F(BadInputTest, FragmentsOver64KiBCloseWith1009) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const std::string half(40000, 'x');
  (void)client.SendRaw(MaskedFrame(0x1, half, false) + MaskedFrame(0x0, half, true));
  EXPECT_TRUE(ReceivesClose(client, 1009));
  ExpectBystanderUnaffected();
}

TEST_F(BadInputTest, InvalidUtf8TextClosesWith1007) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  ASSERT_TRUE(client.SendText("{\"command\":\"ping\",\"x\":\"\xff\xfe\"}").ok());
  EXPECT_TRUE(ReceivesClose(client, 1007));
  ExpectBystanderUnaffected();
}

TEST_F(BadInputTest, UnmaskedFrameClosesWith1002) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const std::string ping = R"({"command":"ping"})";
  std::string frame = "\x81";
  frame.push_back(static_cast<char>(ping.size()));  // mask bit clear
  frame += ping;
  ASSERT_TRUE(client.SendRaw(frame).ok());
  EXPECT_TRUE(ReceivesClose(client, 1002));
  ExpectBystanderUnaffected();
}

TEST_F(BadInputTest, ContinuationWithoutStartClosesWith1002) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  ASSERT_TRUE(client.SendRaw(MaskedFrame(0x0, "orphan", true)).ok());
  EXPECT_TRUE(ReceivesClose(client, 1002));
  ExpectBystanderUnaffected();
}

TEST_F(BadInputTest, ReservedOpcodeClosesWith1002) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  ASSERT_TRUE(client.SendRaw(MaskedFrame(0x3, "?", true)).ok());
  EXPECT_TRUE(ReceivesClose(client, 1002));
  ExpectBystanderUnaffected();
}

TEST_F(BadInputTest, PartialFrameDoesNotBlockOthersAndCompletesLater) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  const std::string frame = MaskedFrame(0x1, R"({"command":"ping"})");
  ASSERT_TRUE(client.SendRaw(frame.substr(0, 3)).ok());
  ExpectBystanderUnaffected();
  EXPECT_TRUE(ReceivesNothing(client)) << "half a frame is not a command";
  ASSERT_TRUE(client.SendRaw(frame.substr(3)).ok());
  EXPECT_TRUE(ReceivesMessage(client, {{"type", "pong"}}));
}

TEST_F(BadInputTest, CommandsSentBeforeTheWelcomeAreRunInOrder) {
  // Upgrade request, subscribe and perform in one write: the server must
  // queue the commands until the connection is authenticated.
  auto client = server().Connect();
  ASSERT_TRUE(client.ok()) << client.error().message;
  const auto id = AnytIdentifier("SubscriptionPerformMethodsChannel");
  ASSERT_TRUE(client
                  ->SendRaw(MaskedFrame(0x1, SubscribeCommand(id)) +
                            MaskedFrame(0x1, PerformCommand(id, {{"action", "tick"}})))
                  .ok());
  EXPECT_TRUE(ReceivesMessage(*client, {{"type", "welcome"}}));
  EXPECT_TRUE(ReceivesMessage(*client, {{"type", "confirm_subscription"}, {"identifier", id}}));
  EXPECT_TRUE(ReceivesMessage(*client, {{"identifier", id}, {"message", "tock"}}));
}

TEST_F(BadInputTest, IncompleteRequestHeadIsDroppedAfterTheReadHeaderTimeout) {
  // There is no flag for the read-header timeout; anycable-go's 5 s applies.
  int fd = ConnectTcp(server().port());
  ASSERT_GE(fd, 0);
  const std::string head = "GET /cable HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(WaitForTcpClose(fd, kSilenceTimeout)) << "dropped before the timeout";
  // Meanwhile the server serves everyone else.
  ASSERT_CONNECTED(other, ConnectWelcomed(server()));
  EXPECT_TRUE(Pongs(other));
  ExpectBystanderUnaffected();
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      6500ms - (std::chrono::steady_clock::now() - start));
  EXPECT_TRUE(WaitForTcpClose(fd, left))
      << "a client that never finishes its request head must be disconnected";
  ::close(fd);
}

TEST_F(BadInputTest, SilentTcpClientDoesNotBlockOthers) {
  int fd = ConnectTcp(server().port());
  ASSERT_GE(fd, 0);
  ASSERT_CONNECTED(other, ConnectWelcomed(server()));
  EXPECT_TRUE(Pongs(other));
  ::close(fd);
}

}  // namespace
}  // namespace cable::testing
