#pragma once
// The `redisx` broadcast adapter (spec §8.2): Redis Streams with a consumer
// group, so each publication is processed by exactly one node (which then
// spreads it through the node-to-node pub/sub: the sink is Node::Publish).
//
//   XGROUP CREATE <stream> bx $ MKSTREAM            once per connection
//   XREADGROUP GROUP bx <consumer> COUNT 100 BLOCK 2000 STREAMS <stream> >
//   each entry's field `payload` is a publication; after processing:
//   XACK <stream> bx <ids...>; XDEL <stream> <ids...>
//   every 2 s: XAUTOCLAIM <stream> bx <consumer> 2000 0-0 COUNT 100
//
// Entries are only taken while the pub/sub can spread them (else they would
// reach this node's clients only). Entries added while no node runs stay
// in the stream for the group and are read when a node comes back; entries a node read but never
// acknowledged (it died mid-batch) are claimed by a live node once idle for 2 s. Delivery is
// therefore at least once. Needs Redis >= 6.2 (XAUTOCLAIM); without it reading still works and
// reclaiming is skipped with a warning.

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "common/broadcast/redis_url.h"
#include "server/broadcast/broadcaster.h"
#include "server/redis/waker.h"

struct redisReply;

namespace cable::server {

class RedisConnection;

// The stream, the consumer group every node reads it as, and how long one
// XREADGROUP blocks; entries pending that long belong to a consumer that is
// gone (a live one acknowledges within one read) and are reclaimed, as in
// anycable-go.
struct RedisxSettings {
  std::string stream = "__anycable__";
  std::string group = "bx";
  std::chrono::milliseconds block{2000};
};

class RedisxBroadcaster : public Broadcaster {
 public:
  // `consumer` names this node in the group; it must differ between nodes.
  RedisxBroadcaster(broadcast::RedisUrl url, RedisxSettings settings, std::string consumer,
                    IngressSink sink);
  ~RedisxBroadcaster() override;

  Status Start() override;
  void Stop() override;

 private:
  void Run();
  // Reads and processes until the connection fails or Stop().
  Error Consume(RedisConnection& conn);
  Status ClaimIdle(RedisConnection& conn);
  // False (after a short wait) while the sink cannot reach other nodes:
  // entries taken then would be acknowledged yet delivered on this node
  // only, so they are left in the stream instead.
  bool WaitUntilSpreadable();
  // Delivers the entries of an XREADGROUP/XAUTOCLAIM entry list, then
  // acknowledges and deletes them.
  Status Process(RedisConnection& conn, const redisReply* entries);
  // On a clean stop: removes this consumer from the group when nothing is
  // pending for it, so restarts do not pile up dead consumers.
  void LeaveGroup();

  broadcast::RedisUrl url_;
  std::string stream_;
  std::string group_;
  std::chrono::milliseconds block_;
  std::string block_ms_text_;
  std::string consumer_;
  std::string source_;  // for log lines
  IngressSink sink_;
  bool claim_supported_ = true;
  std::optional<std::chrono::steady_clock::time_point> paused_since_;
  bool paused_logged_ = false;
  std::atomic<bool> stopping_{false};
  Waker waker_;
  // Never notified: acknowledgements finish even while stopping, or the
  // entries would be processed twice.
  Waker uninterrupted_;
  std::thread thread_;
};

}  // namespace cable::server
