#pragma once
// Reliable streams (spec §2.1–2.3, §9): the broker stores publications with
// a per-stream position (epoch + offset), serves them back as history, and
// keeps session snapshots so a reconnecting client is restored without a
// new RPC Connect.
//
// Calls never block the caller on the network: results arrive through a
// callback that may run on any thread (workers post them back to
// themselves). Store callbacks for one stream run in call order, so a
// stream's offsets reach the pub/sub in the order they were given.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "server/hub/broadcast.h"
#include "server/presence/presence.h"

namespace cable::server {

// Where a client got to in one stream.
struct StreamPosition {
  uint64_t offset = 0;
  std::string epoch;
};

// What one stream of a history request asks for: messages after `from`
// when set, else messages stored at or after `since` (Unix seconds).
struct StreamHistoryQuery {
  std::string stream;
  std::optional<StreamPosition> from;
  int64_t since = 0;
};

// Error codes of history fetches; each makes the client get reject_history.
namespace broker_codes {
inline constexpr const char* kEpochMismatch = "epoch_mismatch";
inline constexpr const char* kUnknownStream = "unknown_stream";
inline constexpr const char* kEvicted = "evicted";          // older than what is kept
inline constexpr const char* kFutureOffset = "future";      // past the latest offset
inline constexpr const char* kUnavailable = "unavailable";  // broker unreachable or full
}  // namespace broker_codes

inline Error BrokerUnavailable(std::string why) {
  return Error{broker_codes::kUnavailable, std::move(why)};
}

class Broker {
 public:
  using StoreDone = std::function<void(Result<BroadcastPtr>)>;
  using HistoryDone = std::function<void(Result<std::vector<BroadcastPtr>>)>;
  using SessionDone = std::function<void(Result<std::optional<std::string>>)>;
  using TailDone = std::function<void(Result<std::optional<StreamPosition>>)>;
  using PresenceDone = std::function<void(Result<std::optional<PresenceEvent>>)>;
  using PresenceListDone = std::function<void(Result<PresenceList>)>;
  // Hears the leaves of members whose sessions disconnected presence_ttl
  // ago without leaving (any thread); the node broadcasts them.
  using PresenceExpired = std::function<void(const std::string& stream, PresenceEvent leave)>;

  virtual ~Broker() = default;

  // Starts background work (expiry, connections). A broker whose server is
  // unreachable still starts, and stores once it is reachable.
  virtual Status Start() = 0;
  virtual void Stop() = 0;
  // One line for the startup log.
  virtual std::string Describe() const = 0;
  // Whether session snapshots are kept (restore needs them).
  virtual bool keeps_sessions() const = 0;
  // Whether Store also delivers the message to every node (through the
  // pub/sub), so the caller must not spread it again.
  virtual bool spreads() const { return false; }

  // Gives the broadcast the next offset of its stream and the current
  // epoch, stores it, and hands the positioned copy to `done`.
  virtual void Store(BroadcastPtr broadcast, StoreDone done) = 0;
  // Every stream of the request in its order; fails as a whole when one
  // stream fails (broker_codes).
  virtual void History(std::vector<StreamHistoryQuery> query, HistoryDone done) = 0;
  // The position of the newest message ever stored in `stream` (nullopt
  // when there is none), for readers that start at the tail (Durable
  // Streams `now`). The default takes the newest kept message; brokers
  // that keep an offset counter answer from it, so a stream whose history
  // expired still has its tail.
  virtual void Tail(const std::string& stream, TailDone done);

  // Session snapshots, kept `sessions_ttl` after the last Save or Touch.
  virtual void SaveSession(const std::string& sid, std::string snapshot) = 0;
  virtual void TouchSessions(std::vector<std::string> sids) = 0;
  // Hands the snapshot of `sid` (nullopt when none is kept) to `done`.
  virtual void FetchSession(const std::string& sid, SessionDone done) = 0;

  // Presence (spec §2.6). Brokers without it fail every call with
  // presence_codes::kUnsupported.
  virtual bool has_presence() const { return false; }
  // `done` gets the join event to broadcast when the member is new to the
  // stream (PresenceSet explains the rules).
  virtual void PresenceAdd(const std::string& stream, const std::string& sid, PresenceMember member,
                           PresenceDone done);
  // `done` gets the leave event when `sid` was the member's last session.
  virtual void PresenceRemove(const std::string& stream, const std::string& sid, PresenceDone done);
  virtual void PresenceInfo(const std::string& stream, PresenceListDone done);
  // The session disconnected: its records expire presence_ttl from now.
  virtual void FinishPresence(const std::string& sid) {}
  // These sessions are still connected (called every presence_ttl/2 by
  // brokers that need_presence_touches()).
  virtual void TouchPresence(std::vector<std::string> sids) {}
  virtual bool needs_presence_touches() const { return false; }
  // Set before Start.
  void OnPresenceExpired(PresenceExpired sink) { presence_expired_ = std::move(sink); }

 protected:
  PresenceExpired presence_expired_;
};

}  // namespace cable::server
