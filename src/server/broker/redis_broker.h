#pragma once
// The `redis` broker: history and session snapshots in Redis, so every node
// sharing the Redis server shares positions, history and sessions (a client
// may reconnect to another node and be restored and caught up there).
//
// Layout (all keys under `_anycable_:`):
// - `epoch`: the epoch, chosen by the first node to store (SET if absent).
//   When it is lost (Redis restarted empty) the next store chooses a new
//   one, and clients holding old positions get reject_history.
// - `history:<stream>`: a Redis stream with entry id `0-<offset>` and
//   fields `t` (Unix seconds), `d` (data) and, when set, `x` (the sid the
//   message must skip); capped at history_limit entries and expiring
//   history_ttl after the last message.
// - `offset:<stream>`: the stream's offset counter, kept ten times longer.
// - `session:<sid>`: a session snapshot, expiring sessions_ttl after the
//   last write or touch.
// - `presence:...`: presence records (redis_presence.cpp).
// Storing is one Lua script per message (counter, entry, expiries and the
// epoch in one atomic step). When the node-to-node pub/sub is Redis too,
// the same script PUBLISHes the positioned message: nodes then receive a
// stream's messages in offset order, whichever node stored them (two
// nodes publishing after storing could otherwise swap neighbours, and a
// client cut off between them would miss one for good).
//
// One thread owns one connection and runs queued requests in pipelined
// batches, in order. While Redis is unreachable requests fail at once
// (the HTTP ingress answers 501) and the outage is logged once; storing
// resumes when Redis is back, without a restart.

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/broadcast/redis_url.h"
#include "server/broker/broker.h"
#include "server/broker/job_queue.h"
#include "server/broker/memory_broker.h"
#include "server/redis/redis_connection.h"

namespace cable::server {

class RedisBroker : public Broker {
 public:
  // `publishes`: the pub/sub is Redis at the same URL (see above).
  RedisBroker(broadcast::RedisUrl url, BrokerLimits limits, bool publishes);
  ~RedisBroker() override;

  Status Start() override;
  void Stop() override;
  std::string Describe() const override;
  bool keeps_sessions() const override { return limits_.sessions_ttl_s > 0; }
  bool spreads() const override { return publishes_; }

  void Store(BroadcastPtr broadcast, StoreDone done) override;
  void History(std::vector<StreamHistoryQuery> query, HistoryDone done) override;
  void Tail(const std::string& stream, TailDone done) override;
  void SaveSession(const std::string& sid, std::string snapshot) override;
  void TouchSessions(std::vector<std::string> sids) override;
  void FetchSession(const std::string& sid, SessionDone done) override;

  // Presence (redis_presence.cpp).
  bool has_presence() const override { return true; }
  bool needs_presence_touches() const override { return true; }
  void PresenceAdd(const std::string& stream, const std::string& sid, PresenceMember member,
                   PresenceDone done) override;
  void PresenceRemove(const std::string& stream, const std::string& sid,
                      PresenceDone done) override;
  void PresenceInfo(const std::string& stream, PresenceListDone done) override;
  void FinishPresence(const std::string& sid) override;
  void TouchPresence(std::vector<std::string> sids) override;

 private:
  using Replies = std::vector<RedisReply>;
  // Commands sent together; `done` gets their replies in order, or an
  // Error when Redis could not be reached.
  struct Job {
    std::vector<std::vector<std::string>> commands;
    std::function<void(Result<Replies>)> done;
  };

  void Enqueue(Job job);
  void Run();
  // Runs queued jobs until the connection fails; returns why.
  Error Serve(RedisConnection& conn);
  // Closes the queue and fails what waited.
  void CloseQueue(const std::string& why);
  // Removes expired presence records and hands their leaves on; run by
  // the broker's thread once a second.
  Job PresenceSweep();
  std::string TtlMs() const;

  const broadcast::RedisUrl url_;
  const BrokerLimits limits_;
  const bool publishes_;
  JobQueue<Job> queue_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace cable::server
