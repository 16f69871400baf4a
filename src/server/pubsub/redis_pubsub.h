#pragma once
// Node-to-node pub/sub over Redis (spec §8.3). The channel of a stream is
// its name; remote commands use their own channel (`__anycable_internal__`
// unless redis_pubsub.channel says otherwise). Only streams with
// local subscribers are subscribed.
//
// Two connections, each on its own thread: a subscriber (SUBSCRIBE and
// UNSUBSCRIBE in batches of 256, everything re-subscribed after a
// reconnect) and a publisher fed by a bounded queue, so that callers on
// worker threads never wait for Redis.
//
// Exactly once: a broadcast published while both connections are up goes
// to Redis only, and this node receives it back like every other node.
// While either connection is down, broadcasts accepted by this node are
// delivered to this node's clients only (other nodes miss them), so a
// Redis outage degrades a cluster to independent nodes instead of
// silencing them; broadcasts still queued when the publisher loses Redis
// are delivered the same way. A broadcast whose PUBLISH was written just
// before the connection failed is not retried (at most once).

#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>

#include "common/broadcast/redis_url.h"
#include "server/pubsub/pubsub.h"
#include "server/pubsub/pubsub_message.h"
#include "server/redis/waker.h"

namespace cable::server {

class RedisConnection;

class RedisPubSub : public PubSub {
 public:
  // `channel` carries remote commands (redis_pubsub.channel).
  RedisPubSub(broadcast::RedisUrl url, std::string channel = kInternalChannel);
  ~RedisPubSub() override;

  Status Start(Handlers handlers) override;
  void Stop() override;
  void Subscribe(const std::string& stream) override;
  void Unsubscribe(const std::string& stream) override;
  void Publish(const Broadcast& broadcast) override;
  void PublishCommand(const RemoteCommand& command) override;
  bool connected() override;
  void AfterSubscribed(std::function<void()> ready) override;

 private:
  struct Outgoing {
    std::string channel;
    std::string payload;
  };

  void RunSubscriber();
  void RunPublisher();
  // Sends every queued message; false when the connection failed.
  bool SendQueued(RedisConnection& conn);
  // Queues for Redis, or delivers here when the pub/sub is down. Called
  // with mu_ held.
  void EnqueueLocked(Outgoing item);
  void DeliverLocally(const std::string& payload);
  void SetPublisherUp(bool up);
  void SetSubscriberUp(bool up);
  // Sends the (UN)SUBSCRIBEs that bring Redis in line with wanted_, then a
  // PING marking the point the waiting AfterSubscribed callers need.
  void SyncSubscriptions(RedisConnection& conn, std::unordered_set<std::string>& subscribed);
  // Runs the callers waiting for barriers up to `barrier` (all: ~0).
  void ReleaseWaiters(uint64_t barrier);

  broadcast::RedisUrl url_;
  const std::string channel_;
  Handlers handlers_;
  std::atomic<bool> stopping_{false};

  // Publisher side.
  std::mutex mu_;
  bool publisher_up_ = false;
  bool subscriber_up_ = false;
  std::deque<Outgoing> queue_;
  size_t queue_bytes_ = 0;
  bool dropping_ = false;  // logged once per full-queue episode
  Waker publisher_waker_;
  Waker uninterrupted_;  // never notified: replies to sent commands are awaited

  // Subscriber side.
  std::mutex streams_mu_;
  std::unordered_set<std::string> wanted_;  // streams with local subscribers
  std::unordered_set<std::string> dirty_;   // changed since last sent to Redis
  // AfterSubscribed callers: each waits for the PING sent after the
  // SUBSCRIBEs it needs; Redis answers commands of a connection in order.
  struct Waiter {
    uint64_t barrier;  // 0 until a PING was sent for it
    std::function<void()> ready;
  };
  std::deque<Waiter> waiters_;
  uint64_t next_barrier_ = 1;
  bool subscribed_up_ = false;  // the subscriber connection is up (streams_mu_)
  Waker subscriber_waker_;

  std::thread publisher_, subscriber_;
};

}  // namespace cable::server
