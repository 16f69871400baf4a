// Slow client protection (spec §1.5): a client that stops reading while
// broadcasts pile up is disconnected once its queue passes
// --ws_max_pending_size, and nobody else notices.

#include <gtest/gtest.h>

#include <chrono>

#include "server/server_test_helpers.h"

namespace cable::testing {
namespace {

using namespace std::chrono_literals;

// Known to fail against the server as of this writing: when the queue
// overflows in the middle of a partly written frame, the rest of that
// frame is dropped and the too_slow message and close frame follow the
// truncated frame, so the client sees a corrupt stream, not a clean close.
TEST(SlowClientTest, ClientThatStopsReadingIsDisconnectedWhileOthersGetEverything) {
  ServeOptions options;
  options.backend = AnytWithTestChannels();
  // A write timeout far beyond the test's length: only the pending-size
  // limit can be what disconnects the slow client here.
  options.args = {"--ws_max_pending_size", "65536", "--ws_write_timeout", "60"};
  CableServer server(options);

  const auto id = StreamIdentifier("firehose");
  ASSERT_CONNECTED(slow, ConnectWelcomed(server));
  ASSERT_CONNECTED(fast, ConnectWelcomed(server));
  ASSERT_TRUE(Subscribes(slow, id));
  ASSERT_TRUE(Subscribes(fast, id));

  // 300 x 32 KiB = 9.6 MB: far more than the loopback socket buffers of a
  // reader that never reads (a 4 MiB send buffer at most plus the receive
  // window), so the server's own queue must fill.
  constexpr int kBroadcasts = 300;
  const std::string padding(32 * 1024, 'x');
  for (int i = 0; i < kBroadcasts; ++i) {
    ASSERT_EQ(server.Broadcast(Publication("firehose", {{"n", i}, {"pad", padding}}).dump()), 201)
        << "broadcast " << i;
    auto message = NextMessage(fast);
    ASSERT_TRUE(message.ok()) << "fast client, broadcast " << i << ": " << message.error().message;
    ASSERT_EQ((*message)["message"]["n"], i) << "fast client gets every broadcast in order";
  }

  // Drain what reached the slow client: the broadcasts that fit in the
  // socket buffers, then (the queue having been dropped) the too_slow
  // disconnect message and a close frame, which the server can write as
  // soon as the client reads again.
  int delivered = 0;
  bool closed = false;
  std::string last_text;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto frame = slow.Receive(3s);
    if (!frame.ok()) {
      ADD_FAILURE() << "slow client stream ended without a close frame after " << delivered
                    << " broadcasts: " << frame.error().code << ": " << frame.error().message;
      break;
    }
    if (frame->kind == ws::Frame::kClose) {
      closed = true;
      EXPECT_EQ(frame->close_code, 1000) << "too_slow closes normally";
      break;
    }
    ASSERT_EQ(frame->kind, ws::Frame::kText);
    Json message = Json::parse(frame->payload, nullptr, false);
    ASSERT_FALSE(message.is_discarded()) << "slow client got a corrupt frame after " << delivered
                                         << " broadcasts: " << frame->payload.substr(0, 120);
    if (message.contains("message")) {
      ASSERT_TRUE(message["message"]["n"] == delivered)
          << "what does arrive arrives in order: expected " << delivered;
      ++delivered;
    }
    last_text = frame->payload;
  }
  EXPECT_TRUE(closed) << "the slow client must be disconnected";
  EXPECT_TRUE(Json::parse(last_text, nullptr, false) ==
              Json::parse(R"({"type":"disconnect","reason":"too_slow","reconnect":true})"))
      << "the close follows a too_slow disconnect message; last text began "
      << last_text.substr(0, 80);
  EXPECT_LT(delivered, kBroadcasts) << "the slow client's queue must have been dropped";

  EXPECT_TRUE(Pongs(fast)) << "the fast client stays connected";
  ASSERT_CONNECTED(late, ConnectWelcomed(server));
  EXPECT_TRUE(Pongs(late)) << "the server keeps serving";
}

}  // namespace
}  // namespace cable::testing
