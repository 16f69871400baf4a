#pragma once
// The `nats` broker: history and session snapshots in NATS JetStream, laid
// out as anycable-go's NATS broker so that a mixed cluster agrees on
// positions and can restore each other's sessions:
// - each AnyCable stream is a JetStream stream `_ac_<stream>` (subject the
//   same), MaxMsgs = history_limit, MaxAge = history_ttl; a message's
//   offset is its stream sequence, its data the publication's data;
// - the epoch is key `_epoch_` of the KV bucket `_anycable_epoch_`, created
//   by the first node (TTL ten times the longer of the two TTLs);
// - session snapshots are keys (the sid) of the KV bucket `_anycable_`,
//   whose TTL is sessions_ttl.
// Stream names JetStream would refuse (dots, slashes, spaces, wildcards)
// are stored under an encoded name instead (see JetStreamName).
//
// One thread runs queued requests against the connection; while NATS is
// unreachable requests fail at once, and after a reconnect the buckets
// and the epoch are set up again (a server that lost its data gets a new
// epoch, so old positions are refused rather than silently wrong).

#include <nats/nats.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <unordered_set>

#include "server/broker/broker.h"
#include "server/broker/job_queue.h"
#include "server/broker/memory_broker.h"
#include "server/nats/nats_connection.h"

namespace cable::server {

class NatsBroker : public Broker {
 public:
  NatsBroker(NatsSettings settings, BrokerLimits limits);
  ~NatsBroker() override;

  Status Start() override;
  void Stop() override;
  std::string Describe() const override;
  bool keeps_sessions() const override { return limits_.sessions_ttl_s > 0; }

  void Store(BroadcastPtr broadcast, StoreDone done) override;
  void History(std::vector<StreamHistoryQuery> query, HistoryDone done) override;
  void SaveSession(const std::string& sid, std::string snapshot) override;
  void TouchSessions(std::vector<std::string> sids) override;
  void FetchSession(const std::string& sid, SessionDone done) override;

 private:
  // Runs on the broker's thread with JetStream ready; `error` when it is
  // not (the job must then answer its caller with that error).
  using Job = std::function<void(const Error* error)>;

  void Enqueue(Job job);
  void Run();
  // Sets up the context, the buckets and the epoch; false when NATS is
  // not reachable or has no JetStream.
  Status Prepare();
  void Release();
  Status EnsureStream(const std::string& stream);
  Status CollectStream(const StreamHistoryQuery& q, std::vector<BroadcastPtr>& out);
  Status RefreshEpoch();

  const NatsSettings settings_;
  const BrokerLimits limits_;
  NatsConnection conn_;
  JobQueue<Job> queue_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;

  // Broker thread only.
  jsCtx* js_ = nullptr;
  kvStore* sessions_ = nullptr;
  kvStore* epochs_ = nullptr;
  std::string epoch_;
  std::unordered_set<std::string> known_streams_;
};

}  // namespace cable::server
