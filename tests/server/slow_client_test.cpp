// Slow client protection (spec §1.5): a client that stops reading while
// broadcasts pile up is disconnected once its queue passes
// --ws_max_pending_size, and nobody else notices.

#include <gtest/gtest.h>

#include <chrono>

#include "server/server_test_helpers.h"
#include "server/slow_client_check.h"

namespace cable::testing {
namespace {

using namespace std::chrono_literals;

// A queue that overflows in the middle of a partly written frame keeps
// that frame's rest, so the too_slow message follows whole frames.
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

  ExpectSlowClientDropped(fast, slow,
                          [&](const std::string& body) { return server.Broadcast(body) == 201; });
  ASSERT_CONNECTED(late, ConnectWelcomed(server));
  EXPECT_TRUE(Pongs(late)) << "the server keeps serving";
}

}  // namespace
}  // namespace cable::testing
