// Fuzzes pusher::TranslateClientEvent, which turns every text frame a Pusher
// client sends (pusher:subscribe with its signature, client- events, pings)
// into the session's own commands. It runs on the worker thread for every
// frame of every Pusher connection, on JSON chosen by the client, so it must
// never throw, crash or recurse without bound.
//
// Input: the frame's payload. Besides crashes, the target checks what the
// header promises: a frame yields either a command or an error reply, never
// both or neither, and an error reply is a pusher:error event in JSON.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "fuzz_check.h"
#include "server/pusher/client_events.h"

namespace pusher = cable::server::pusher;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const pusher::Settings settings{"app-id", "app-key", "secret"};
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  const pusher::ClientEvent event = pusher::TranslateClientEvent(frame, settings, "123.456");
  if (event.command) {
    FUZZ_CHECK(event.reply.empty(), "a command and an error reply for one frame");
    return 0;
  }
  if (event.reply.empty()) return 0;  // nothing to do (e.g. a pong)
  auto reply = nlohmann::json::parse(event.reply, nullptr, false);
  FUZZ_CHECK(reply.is_object(), "the error reply is not a JSON object");
  FUZZ_CHECK(reply.value("event", "") == "pusher:error", "the error reply is not pusher:error");
  return 0;
}
