#include "server/slow_client_check.h"

#include <gtest/gtest.h>

#include <chrono>

#include "server/server_test_helpers.h"

namespace cable::testing {

using namespace std::chrono_literals;

void ExpectSlowClientDropped(ws::Client& fast, ws::Client& slow,
                             const std::function<bool(const std::string& body)>& publish) {
  // 300 x 32 KiB = 9.6 MB: far more than the loopback socket buffers of a
  // reader that never reads, so the server's own queue must fill.
  constexpr int kBroadcasts = 300;
  const std::string padding(32 * 1024, 'x');
  for (int i = 0; i < kBroadcasts; ++i) {
    ASSERT_TRUE(publish(Publication("firehose", {{"n", i}, {"pad", padding}}).dump()))
        << "broadcast " << i;
    auto message = NextMessage(fast);
    ASSERT_TRUE(message.ok()) << "fast client, broadcast " << i << ": " << message.error().message;
    ASSERT_EQ((*message)["message"]["n"], i) << "fast client gets every broadcast in order";
  }

  // What reached the slow client: the broadcasts that fit in the buffers,
  // whole and in order, then (its queue having been dropped) too_slow and a
  // close frame. A frame (or TLS record) cut short would show as bad JSON.
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
    if (message.value("type", "") == "ping") continue;
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
}

}  // namespace cable::testing
