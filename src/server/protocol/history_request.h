#pragma once
// The `history` object of a history or subscribe command (spec §2.2):
//   {"since": <unix seconds>, "streams": {"<stream>": {"offset": N, "epoch": "e"}}}
// Parsed strictly: a malformed request is answered with reject_history
// rather than guessed at.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "server/broker/broker.h"

namespace cable::server::protocol {

// More positions than any subscription has streams is not a real client.
inline constexpr size_t kMaxHistoryStreams = 1024;

struct HistoryRequest {
  int64_t since = 0;  // 0: not given
  std::unordered_map<std::string, StreamPosition> streams;

  // Neither `since` nor `streams`: anycable-go ignores such a command.
  bool empty() const { return since == 0 && streams.empty(); }
  // One query per stream of the subscription that the request covers, in
  // the subscription's order.
  std::vector<StreamHistoryQuery> QueriesFor(const std::vector<std::string>& streams) const;
};

// `json` is the raw JSON object. Error code "invalid_history".
Result<HistoryRequest> ParseHistoryRequest(std::string_view json);

}  // namespace cable::server::protocol
