#pragma once
// The `redis` broadcast adapter (spec §8.2): SUBSCRIBE to one channel
// (default `__anycable__`); every message is a publication. Fan-out: every
// node subscribes and delivers to its own clients, so the sink is the local
// node, never the pub/sub.
//
// One thread holds one connection. While Redis is unreachable it retries
// with backoff (100 ms doubling to 5 s); broadcasts published meanwhile are
// lost, as with any Redis Pub/Sub subscriber.

#include <atomic>
#include <string>
#include <thread>

#include "common/broadcast/redis_url.h"
#include "server/broadcast/broadcaster.h"
#include "server/redis/waker.h"

namespace cable::server {

class RedisBroadcaster : public Broadcaster {
 public:
  RedisBroadcaster(broadcast::RedisUrl url, std::string channel, IngressSink sink);
  ~RedisBroadcaster() override;

  Status Start() override;
  void Stop() override;

 private:
  void Run();

  broadcast::RedisUrl url_;
  std::string channel_;
  IngressSink sink_;
  std::atomic<bool> stopping_{false};
  Waker waker_;
  std::thread thread_;
};

}  // namespace cable::server
