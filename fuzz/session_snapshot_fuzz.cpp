// Fuzzes DecodeSessionSnapshot, which reads what a broker (Redis, NATS)
// hands back for a session to restore: bytes the server did not
// necessarily write (another node, another version, a tampered store). It
// must never throw or crash, and whatever it accepts must survive
// re-encoding unchanged.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "server/session/session_snapshot.h"

namespace server = cable::server;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto decoded = server::DecodeSessionSnapshot(text);
  if (!decoded.ok()) {
    FUZZ_CHECK(decoded.error().code == "invalid_snapshot", "an error with another code");
    return 0;
  }
  const std::string again = server::EncodeSessionSnapshot(*decoded);
  auto round = server::DecodeSessionSnapshot(again);
  FUZZ_CHECK(round.ok(), "a re-encoded snapshot does not decode");
  FUZZ_CHECK(round->identifiers == decoded->identifiers, "identifiers changed");
  FUZZ_CHECK(round->cstate == decoded->cstate, "connection state changed");
  FUZZ_CHECK(round->subscriptions.size() <= decoded->subscriptions.size(),
             "subscriptions appeared");
  return 0;
}
