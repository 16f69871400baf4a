// Fuzzes protocol::ParseHistoryRequest, which reads the `history` object a
// client sends with a history or subscribe command: JSON chosen by the
// client, parsed on the worker thread. It must never throw or crash, and
// what it accepts must keep its promises: at most kMaxHistoryStreams
// positions, and queries only for the subscription's own streams, in the
// subscription's order.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "server/protocol/history_request.h"

namespace protocol = cable::server::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = protocol::ParseHistoryRequest(text);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.error().code == "invalid_history", "an error with another code");
    FUZZ_CHECK(!parsed.error().message.empty(), "an error without a message");
    return 0;
  }
  FUZZ_CHECK(parsed->streams.size() <= protocol::kMaxHistoryStreams, "too many positions kept");
  FUZZ_CHECK(parsed->since >= 0, "a negative since");
  const std::vector<std::string> subscription = {"b", "a", "chat_42", ""};
  auto queries = parsed->QueriesFor(subscription);
  size_t next = 0;
  for (const auto& q : queries) {
    while (next < subscription.size() && subscription[next] != q.stream) ++next;
    FUZZ_CHECK(next < subscription.size(), "a query for a stream out of order or not subscribed");
    ++next;
  }
  return 0;
}
