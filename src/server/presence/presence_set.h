#pragma once
// Presence records held in memory (the memory broker's, one node): per
// stream, a record per presence id with the sessions that joined under it;
// per session, the streams it joined and, once it disconnected, when its
// records expire. Not thread-safe: the owner locks.
//
// A join broadcasts only for an id new to the stream and a leave only when
// the id's last session goes, so several tabs of one user are one member.
// A session that disconnects without leaving stays a member for
// presence_ttl (a reconnect within it causes no leave/join pair); Expire
// then returns the leaves to broadcast.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/result.h"
#include "server/presence/presence.h"

namespace cable::server {

class PresenceSet {
 public:
  using MaybeEvent = std::optional<PresenceEvent>;

  // The join event when `member.id` is new to the stream. Joining again
  // under the same id refreshes the info; under another id it fails
  // (presence_codes::kMismatch) and changes nothing.
  Result<MaybeEvent> Add(const std::string& stream, const std::string& sid, PresenceMember member);
  // The leave event when `sid` was the id's last session on the stream.
  // Fails with presence_codes::kNotJoined when the session is not there.
  Result<MaybeEvent> Remove(const std::string& stream, const std::string& sid);
  PresenceList List(const std::string& stream) const;

  // The session disconnected: its records go at `expires_at` unless it
  // leaves first.
  void Finish(const std::string& sid, int64_t expires_at);
  // Removes the records of sessions that expired by `now`; returns the
  // leaves to broadcast, with their streams.
  std::vector<std::pair<std::string, PresenceEvent>> Expire(int64_t now);

  size_t streams() const { return streams_.size(); }
  size_t sessions() const { return sessions_.size(); }
  // Bytes of ids and infos held, with a fixed overhead per record and
  // session (what the owner bounds).
  size_t bytes() const { return bytes_; }

 private:
  struct Record {
    std::string info;
    std::vector<std::string> sids;  // usually one
    uint64_t joined = 0;            // join order, for List
  };
  using Records = std::unordered_map<std::string, Record>;  // by presence id
  struct SessionEntry {
    std::vector<std::pair<std::string, std::string>> streams;  // stream, presence id
    int64_t expires_at = 0;                                    // 0 = connected
  };

  // Takes `sid` out of the id's record; true when the record is gone.
  bool Drop(const std::string& stream, const std::string& id, const std::string& sid);

  std::unordered_map<std::string, Records> streams_;
  std::unordered_map<std::string, SessionEntry> sessions_;
  // Finished sessions in expiry order (the ttl is one for all).
  std::deque<std::pair<int64_t, std::string>> finished_;
  uint64_t joins_ = 0;
  size_t bytes_ = 0;
};

}  // namespace cable::server
