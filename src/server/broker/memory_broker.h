#pragma once
// The `memory` broker (spec §9): history and session snapshots in this
// process, for a single node. Each stream keeps its last `history_limit`
// messages for `history_ttl` seconds; the stream itself (and so its offset
// counter) lives on for ten times that after its last message, as in
// anycable-go. The epoch is chosen at start, so a restart invalidates
// every position (clients then get reject_history and resubscribe).
//
// Presence records live here too (PresenceSet), for this node only.
//
// Every call completes before it returns (callbacks run on the caller's
// thread). A sweeper thread drops expired messages, streams, sessions and
// presence records once a second.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "server/broker/broker.h"
#include "server/presence/presence_set.h"

namespace cable::server {

struct BrokerLimits {
  size_t history_limit = 100;
  int64_t history_ttl_s = 300;
  int64_t sessions_ttl_s = 300;
  int64_t presence_ttl_s = 15;
  // Bytes of session snapshots kept at once; past it new sessions are not
  // cached (they reconnect with a normal Connect). Bounds what a flood of
  // short connections can make the node hold.
  size_t max_session_bytes = size_t{256} << 20;
  // Bytes of presence records kept at once; past it joins fail. Without
  // it every connection could hold a record (of up to 4 KiB) per
  // subscription.
  size_t max_presence_bytes = size_t{256} << 20;
};

class MemoryBroker : public Broker {
 public:
  // `now` gives Unix seconds (tests pass their own clock).
  explicit MemoryBroker(BrokerLimits limits, std::string epoch = {},
                        std::function<int64_t()> now = {});
  ~MemoryBroker() override;

  Status Start() override;
  void Stop() override;
  std::string Describe() const override;
  bool keeps_sessions() const override { return limits_.sessions_ttl_s > 0; }

  void Store(BroadcastPtr broadcast, StoreDone done) override;
  void History(std::vector<StreamHistoryQuery> query, HistoryDone done) override;
  void Tail(const std::string& stream, TailDone done) override;
  void SaveSession(const std::string& sid, std::string snapshot) override;
  void TouchSessions(std::vector<std::string> sids) override;
  void FetchSession(const std::string& sid, SessionDone done) override;

  bool has_presence() const override { return true; }
  void PresenceAdd(const std::string& stream, const std::string& sid, PresenceMember member,
                   PresenceDone done) override;
  void PresenceRemove(const std::string& stream, const std::string& sid,
                      PresenceDone done) override;
  void PresenceInfo(const std::string& stream, PresenceListDone done) override;
  void FinishPresence(const std::string& sid) override;

  const std::string& epoch() const { return epoch_; }
  // Drops what expired by now (the sweeper's pass; public for tests).
  void Sweep();

 private:
  struct Entry {
    BroadcastPtr message;  // positioned; shared with the deliveries
    int64_t stored_at;
  };
  struct Stream {
    uint64_t offset = 0;  // of the latest message ever stored
    int64_t keep_until = 0;
    std::deque<Entry> entries;
  };
  struct SessionEntry {
    std::string snapshot;
    int64_t expires_at;
  };

  int64_t PresenceNowMs() const;
  Status CollectFrom(const StreamHistoryQuery& q, std::vector<BroadcastPtr>& out) const;
  void RunSweeper();

  const BrokerLimits limits_;
  const std::string epoch_;
  const bool test_clock_;
  std::function<int64_t()> now_;

  mutable std::mutex streams_mu_;
  std::unordered_map<std::string, Stream> streams_;

  std::mutex sessions_mu_;
  std::unordered_map<std::string, SessionEntry> sessions_;
  size_t session_bytes_ = 0;
  bool full_logged_ = false;

  std::mutex presence_mu_;
  PresenceSet presence_;
  bool presence_full_logged_ = false;

  std::mutex sweeper_mu_;
  std::condition_variable sweeper_cv_;
  bool stopping_ = false;
  std::thread sweeper_;
};

}  // namespace cable::server
