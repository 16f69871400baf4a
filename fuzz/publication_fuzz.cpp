// Fuzzes ParsePublication, which reads every broadcast body the server takes
// in (HTTP /_broadcast, Redis and NATS channels): a single publication, a
// batch, or a remote disconnect. Publishers are usually trusted, but an
// unauthenticated /_broadcast (no broadcast key) accepts bodies from anyone.
//
// Input: the body. For each accepted broadcast the target also builds the
// message subscribers receive (protocol::BroadcastMessage, once per
// broadcast on the server) and checks it is JSON whose "message" is the data
// itself when the data was judged embeddable JSON, or the data as a string
// otherwise, so a publication can never make the server send broken JSON.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "fuzz_check.h"
#include "server/broadcast/publication_parser.h"
#include "server/protocol/messages.h"

namespace protocol = cable::server::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = cable::server::ParsePublication(body);
  if (!parsed.ok()) {
    FUZZ_CHECK(!parsed.error().message.empty(), "error without a message");
    return 0;
  }
  FUZZ_CHECK(!parsed->broadcasts.empty() || !parsed->disconnects.empty(),
             "an accepted body carries nothing");
  static const std::string kIdentifier = R"({"channel":"ChatChannel","id":1})";
  for (const auto& b : parsed->broadcasts) {
    FUZZ_CHECK(b != nullptr, "null broadcast");
    FUZZ_CHECK(!b->stream.empty(), "broadcast with an empty stream");
    const std::string message = protocol::BroadcastMessage(kIdentifier, b->data, b->data_is_json);
    // Parsing and destroying are iterative in nlohmann; comparing documents
    // recurses, so embedded data (which may nest deeply inside a string) is
    // compared by type only.
    auto doc = nlohmann::json::parse(message, nullptr, false);
    FUZZ_CHECK(doc.is_object(), "the message sent to subscribers is not a JSON object");
    FUZZ_CHECK(doc["identifier"].is_string() &&
                   doc["identifier"].get_ref<const std::string&>() == kIdentifier,
               "identifier changed on the way");
    const auto& payload = doc["message"];
    if (b->data_is_json) {
      FUZZ_CHECK(!payload.is_null(), "null data embedded instead of sent as a string");
      FUZZ_CHECK(payload.type() == nlohmann::json::parse(b->data).type(), "embedded data changed");
    } else {
      FUZZ_CHECK(payload.is_string() && payload.get_ref<const std::string&>() == b->data,
                 "string data changed on the way");
    }
  }
  return 0;
}
