#include "server/broker/history_rules.h"

#include <fmt/format.h>

namespace cable::server {

Status CheckReplayable(const StreamPosition& from, std::string_view epoch, bool stream_known,
                       uint64_t latest, uint64_t lowest_kept) {
  if (from.epoch != epoch) {
    return Error{broker_codes::kEpochMismatch,
                 fmt::format("epoch {} is not the current {}", from.epoch, epoch)};
  }
  if (!stream_known) {
    return Error{broker_codes::kUnknownStream, "no history is kept for this stream"};
  }
  if (from.offset > latest) {
    return Error{broker_codes::kFutureOffset,
                 fmt::format("offset {} is past the latest {}", from.offset, latest)};
  }
  if (from.offset == latest) return Status::Ok();
  // The client needs from.offset + 1 onwards.
  if (lowest_kept == 0 || from.offset + 1 < lowest_kept) {
    return Error{broker_codes::kEvicted,
                 fmt::format("offset {} is older than what is kept", from.offset)};
  }
  return Status::Ok();
}

}  // namespace cable::server
