// --pong_timeout (spec §1.5): clients on actioncable-v1-ext-json must answer
// pings; one that stays silent gets `no_pong` and a close, while plain
// actioncable-v1-json clients are never held to it — unless native pings
// are on.

#include <gtest/gtest.h>

#include <chrono>

#include "server/raw_http.h"
#include "server/server_test_helpers.h"

namespace cable::testing {
namespace {

using namespace std::chrono_literals;

const std::vector<std::string> kExtended = {"actioncable-v1-ext-json"};

class PongTimeoutTest : public SharedServerTest<PongTimeoutTest> {
 public:
  static ServeOptions Options() {
    ServeOptions options;
    options.args = {"--pong_timeout", "1", "--ping_interval", "1"};
    return options;
  }
};

TEST_F(PongTimeoutTest, SilentExtendedClientIsDisconnectedWithNoPong) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server(), "/cable", {}, kExtended));
  // First ping within 1.5 s, then one more second: well inside 5 s.
  EXPECT_TRUE(ReceivesMessage(
      client, Json{{"type", "disconnect"}, {"reason", "no_pong"}, {"reconnect", true}}, 5s));
  EXPECT_TRUE(ReceivesClose(client, 1000));
}

TEST_F(PongTimeoutTest, ExtendedClientThatAnswersPingsStaysConnected) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server(), "/cable", {}, kExtended));
  // Answer four pings (about four timeouts' worth of time) with `pong`.
  for (int i = 0; i < 4; ++i) {
    auto ping = NextMessage(client, 3s, Skip::kNothing);
    ASSERT_TRUE(ping.ok()) << "ping " << i << ": " << ping.error().message;
    ASSERT_EQ((*ping)["type"], "ping") << ping->dump();
    ASSERT_TRUE(client.SendText(R"({"command":"pong"})").ok());
  }
  EXPECT_TRUE(Pongs(client)) << "the session must still be served";
}

TEST_F(PongTimeoutTest, AnyCommandCountsAsAPong) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server(), "/cable", {}, kExtended));
  for (int i = 0; i < 4; ++i) {
    auto ping = NextMessage(client, 3s, Skip::kNothing);
    ASSERT_TRUE(ping.ok()) << "ping " << i << ": " << ping.error().message;
    ASSERT_EQ((*ping)["type"], "ping") << ping->dump();
    // The client's own `ping` command, answered with `pong`, proves it alive.
    ASSERT_TRUE(Pongs(client));
  }
}

TEST_F(PongTimeoutTest, PlainActionCableClientsAreNotAskedForPongs) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  // Three pings without a reply: an extended client would be gone by now.
  for (int i = 0; i < 3; ++i) {
    auto ping = NextMessage(client, 3s, Skip::kNothing);
    ASSERT_TRUE(ping.ok()) << "ping " << i << ": " << ping.error().message;
    ASSERT_EQ((*ping)["type"], "ping") << ping->dump();
  }
  EXPECT_TRUE(Pongs(client));
}

// --enable_native_pings: WebSocket ping frames go out with the JSON pings,
// and then every client (plain Action Cable too) must show it is alive —
// answering a ping frame is enough.
class NativePingsTest : public SharedServerTest<NativePingsTest> {
 public:
  static ServeOptions Options() {
    ServeOptions options;
    options.args = {"--enable_native_pings", "--pong_timeout", "1", "--ping_interval", "1"};
    return options;
  }
};

TEST_F(NativePingsTest, PingFramesFollowTheJsonPingsAndTheirPongsKeepClientsAlive) {
  ASSERT_CONNECTED(client, ConnectWelcomed(server()));
  int frames = 0;
  // The client answers each ping frame with a pong frame (and nothing else)
  // for about three timeouts.
  for (auto deadline = std::chrono::steady_clock::now() + 3500ms;
       std::chrono::steady_clock::now() < deadline;) {
    auto frame = client.Receive(1500ms, /*return_control=*/true);
    ASSERT_TRUE(frame.ok()) << frame.error().message;
    if (frame->kind == ws::Frame::kPing) ++frames;
    ASSERT_NE(frame->kind, ws::Frame::kClose) << "disconnected although it answered";
  }
  EXPECT_GE(frames, 2);
  EXPECT_TRUE(Pongs(client));
}

TEST_F(NativePingsTest, APlainClientThatAnswersNothingIsDisconnected) {
  RawConnection silent(server().port());
  ASSERT_TRUE(silent.Send(UpgradeRequest("/cable")));
  ASSERT_EQ(silent.ReadResponse().status, 101);
  // Never reads, never answers: gone after the first ping and a timeout.
  EXPECT_TRUE(silent.WaitForClose(5s));
}

}  // namespace
}  // namespace cable::testing
