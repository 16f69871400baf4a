#pragma once
// When a client's position can be caught up from what a broker keeps
// (spec §2.2). Shared by every broker so that they answer alike:
// - another epoch: the history the client knew is gone;
// - a stream the broker knows nothing of;
// - an offset past the latest one;
// - an offset whose successor is no longer kept (evicted or expired).
// A client that is up to date is never refused, even when nothing is kept.

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "server/broker/broker.h"

namespace cable::server {

// `latest`: offset of the newest message ever stored in the stream;
// `lowest_kept`: offset of the oldest message still kept (0: none kept).
Status CheckReplayable(const StreamPosition& from, std::string_view epoch, bool stream_known,
                       uint64_t latest, uint64_t lowest_kept);

// Runs `collect(query[i], i, out)` for every stream in order; the first
// failure, prefixed with its stream's name, fails the whole request.
template <typename Collect>
Result<std::vector<BroadcastPtr>> CollectHistory(const std::vector<StreamHistoryQuery>& query,
                                                 Collect&& collect) {
  std::vector<BroadcastPtr> out;
  for (size_t i = 0; i < query.size(); ++i) {
    if (Status s = collect(query[i], i, out); !s.ok()) {
      return Error{s.error().code, query[i].stream + ": " + s.error().message};
    }
  }
  return out;
}

}  // namespace cable::server
