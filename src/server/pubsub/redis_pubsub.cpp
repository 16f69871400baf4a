#include "server/pubsub/redis_pubsub.h"

#include <fmt/format.h>

#include <cstdlib>
#include <vector>

#include "common/log.h"
#include "server/broadcast/broadcaster.h"
#include "server/pubsub/pubsub_message.h"
#include "server/redis/backoff.h"
#include "server/redis/outage_log.h"
#include "server/redis/push_reader.h"
#include "server/redis/redis_connection.h"

namespace cable::server {
namespace {

// Redis answers a SUBSCRIBE per channel; batching keeps a re-subscribe of
// many streams after a reconnect to a few round trips (as anycable-go).
constexpr size_t kSubscribeBatch = 256;
// Bounds memory when Redis is slower than the broadcasts: beyond these,
// publications are dropped (and logged) rather than queued.
constexpr size_t kMaxQueued = 10000;
constexpr size_t kMaxQueuedBytes = 64 << 20;

void SendInBatches(RedisConnection& conn, const char* command,
                   const std::vector<std::string>& channels) {
  for (size_t i = 0; i < channels.size(); i += kSubscribeBatch) {
    std::vector<std::string_view> args{command};
    for (size_t j = i; j < std::min(channels.size(), i + kSubscribeBatch); ++j) {
      args.push_back(channels[j]);
    }
    conn.Append(args);
  }
}

}  // namespace

RedisPubSub::RedisPubSub(broadcast::RedisUrl url, std::string channel)
    : url_(std::move(url)), channel_(std::move(channel)) {}

RedisPubSub::~RedisPubSub() {
  Stop();
}

Status RedisPubSub::Start(Handlers handlers) {
  handlers_ = std::move(handlers);
  subscriber_ = std::thread([this] { RunSubscriber(); });
  publisher_ = std::thread([this] { RunPublisher(); });
  return Status::Ok();
}

void RedisPubSub::Stop() {
  stopping_ = true;
  subscriber_waker_.Notify();
  publisher_waker_.Notify();
  if (subscriber_.joinable()) subscriber_.join();
  if (publisher_.joinable()) publisher_.join();
  // Whatever is still published (e.g. while sessions close) stays local.
  std::lock_guard lock(mu_);
  publisher_up_ = false;
}

// ------------------------------------------------------------ publishing

void RedisPubSub::Publish(const Broadcast& broadcast) {
  Outgoing item{broadcast.stream, EncodeBroadcast(broadcast)};
  std::lock_guard lock(mu_);
  EnqueueLocked(std::move(item));
}

void RedisPubSub::PublishCommand(const RemoteCommand& command) {
  Outgoing item{channel_, EncodeCommand(command)};
  std::lock_guard lock(mu_);
  EnqueueLocked(std::move(item));
}

bool RedisPubSub::connected() {
  std::lock_guard lock(mu_);
  return publisher_up_ && subscriber_up_;
}

void RedisPubSub::EnqueueLocked(Outgoing item) {
  if (!publisher_up_ || !subscriber_up_) {
    // Delivered under the lock so that it cannot overtake messages drained
    // from the queue when the connection went down.
    DeliverLocally(item.payload);
    return;
  }
  if (queue_.size() >= kMaxQueued || queue_bytes_ + item.payload.size() > kMaxQueuedBytes) {
    if (!dropping_) {
      log::Error(
          "Redis pub/sub: {} broadcasts wait for Redis; dropping new ones until it catches up",
          queue_.size());
      dropping_ = true;
    }
    return;
  }
  queue_bytes_ += item.payload.size();
  const bool was_empty = queue_.empty();
  queue_.push_back(std::move(item));
  if (was_empty) publisher_waker_.Notify();
}

void RedisPubSub::DeliverLocally(const std::string& payload) {
  IngressSink sink{handlers_.broadcast, handlers_.command, nullptr, {}};
  DeliverPublication(payload, sink, "Redis pub/sub (local delivery)");
}

void RedisPubSub::SetPublisherUp(bool up) {
  std::lock_guard lock(mu_);
  publisher_up_ = up;
  if (up) return;
  // Not sent: this node's clients get them now rather than never.
  for (auto& item : queue_) DeliverLocally(item.payload);
  queue_.clear();
  queue_bytes_ = 0;
  dropping_ = false;
}

void RedisPubSub::SetSubscriberUp(bool up) {
  {
    std::lock_guard lock(mu_);
    subscriber_up_ = up;
  }
  std::lock_guard lock(streams_mu_);
  subscribed_up_ = up;
}

void RedisPubSub::RunPublisher() {
  RedisConnection conn(url_);
  Backoff backoff;
  OutageLog outage("Redis pub/sub publisher");
  while (!stopping_) {
    if (!conn.connected()) {
      if (Status s = conn.Connect(); !s) {
        SetPublisherUp(false);
        outage.Down(s.error().message);
        publisher_waker_.Drain();
        if (stopping_) break;
        publisher_waker_.WaitFor(backoff.Next());
        continue;
      }
      // Up before the log line, which tests (and operators) take as "ready".
      SetPublisherUp(true);
      outage.Up("connected to " + conn.Authority());
      backoff.Reset();
    }
    // Idle: wait for work, noticing at once when Redis closes the socket.
    // A silent connection is checked with PING every keepalive interval.
    auto idle = conn.Read(publisher_waker_, conn.keepalive());
    bool alive = true;
    std::string why = "connection to Redis at " + conn.Authority() + " lost";
    if (!idle.ok() && idle.error().IsWoken()) {
      publisher_waker_.Drain();
      if (stopping_) break;
      alive = SendQueued(conn);
    } else if (!idle.ok() && idle.error().IsTimeout()) {
      conn.Append({"PING"});
      alive = conn.Flush().ok() && conn.Read(uninterrupted_, conn.pong_timeout()).ok();
      if (!alive) why = "Redis at " + conn.Authority() + " stopped answering PING (keepalive)";
    } else if (!idle.ok()) {
      alive = false;  // closed by Redis, or a failed read
    }
    if (!alive) {
      conn.Close();
      SetPublisherUp(false);
      outage.Down(why);
    }
  }
}

bool RedisPubSub::SendQueued(RedisConnection& conn) {
  std::deque<Outgoing> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(queue_);
    queue_bytes_ = 0;
    dropping_ = false;
  }
  if (batch.empty()) return true;
  for (const auto& item : batch) conn.Append({"PUBLISH", item.channel, item.payload});
  if (!conn.Flush().ok()) return false;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!conn.Read(uninterrupted_, std::chrono::seconds(5)).ok()) return false;
  }
  return true;
}

// ------------------------------------------------------------ subscribing

void RedisPubSub::Subscribe(const std::string& stream) {
  std::lock_guard lock(streams_mu_);
  wanted_.insert(stream);
  if (dirty_.insert(stream).second && dirty_.size() == 1) subscriber_waker_.Notify();
}

void RedisPubSub::Unsubscribe(const std::string& stream) {
  std::lock_guard lock(streams_mu_);
  wanted_.erase(stream);
  if (dirty_.insert(stream).second && dirty_.size() == 1) subscriber_waker_.Notify();
}

void RedisPubSub::AfterSubscribed(std::function<void()> ready) {
  {
    std::lock_guard lock(streams_mu_);
    if (subscribed_up_) {
      waiters_.push_back(Waiter{0, std::move(ready)});
      subscriber_waker_.Notify();
      return;
    }
  }
  // Down: nothing published now reaches this node through Redis anyway.
  ready();
}

void RedisPubSub::ReleaseWaiters(uint64_t barrier) {
  std::vector<std::function<void()>> ready;
  {
    std::lock_guard lock(streams_mu_);
    while (!waiters_.empty() && waiters_.front().barrier != 0 &&
           waiters_.front().barrier <= barrier) {
      ready.push_back(std::move(waiters_.front().ready));
      waiters_.pop_front();
    }
    if (barrier == ~uint64_t{0}) {
      for (auto& w : waiters_) ready.push_back(std::move(w.ready));
      waiters_.clear();
    }
  }
  for (auto& r : ready) r();
}

void RedisPubSub::SyncSubscriptions(RedisConnection& conn,
                                    std::unordered_set<std::string>& subscribed) {
  std::vector<std::string> add, remove;
  uint64_t barrier = 0;
  {
    std::lock_guard lock(streams_mu_);
    for (const auto& stream : dirty_) {
      const bool want = wanted_.count(stream) > 0;
      const bool have = subscribed.count(stream) > 0;
      if (want && !have) add.push_back(stream);
      if (!want && have) remove.push_back(stream);
    }
    dirty_.clear();
    for (auto& w : waiters_) {
      if (w.barrier != 0) continue;
      if (barrier == 0) barrier = next_barrier_++;
      w.barrier = barrier;
    }
  }
  for (const auto& s : add) subscribed.insert(s);
  for (const auto& s : remove) subscribed.erase(s);
  SendInBatches(conn, "SUBSCRIBE", add);
  SendInBatches(conn, "UNSUBSCRIBE", remove);
  if (barrier != 0) conn.Append({"PING", "barrier:" + std::to_string(barrier)});
  // A failed write closes the connection; the read loop then reports it.
  if (!add.empty() || !remove.empty() || barrier != 0) conn.Flush().IgnoreError();
}

void RedisPubSub::RunSubscriber() {
  RedisConnection conn(url_);
  Backoff backoff;
  OutageLog outage("Redis pub/sub");
  IngressSink sink{handlers_.broadcast, handlers_.command, nullptr, {}};
  std::unordered_set<std::string> subscribed;
  PushHandlers pushes;
  pushes.message = [&](std::string_view channel, std::string_view payload) {
    DeliverPublication(payload, sink,
                       channel == channel_ ? "Redis pub/sub commands" : "Redis pub/sub");
  };
  pushes.pong = [&](std::string_view payload) {
    constexpr std::string_view kPrefix = "barrier:";
    if (payload.substr(0, kPrefix.size()) != kPrefix) return;
    ReleaseWaiters(std::strtoull(std::string(payload.substr(kPrefix.size())).c_str(), nullptr, 10));
  };
  pushes.wake = [&] {
    subscriber_waker_.Drain();
    if (stopping_) return false;
    SyncSubscriptions(conn, subscribed);
    return true;
  };

  while (!stopping_) {
    Status ready = conn.Connect();
    if (ready.ok()) {
      // A fresh connection has no subscriptions: ask for all of them again.
      subscribed.clear();
      {
        std::lock_guard lock(streams_mu_);
        dirty_ = wanted_;
      }
      conn.Append({"SUBSCRIBE", channel_});
      SyncSubscriptions(conn, subscribed);
      ready = conn.Flush();
    }
    if (!ready.ok()) {
      SetSubscriberUp(false);
      outage.Down(ready.error().message);
      subscriber_waker_.Drain();
      if (stopping_) break;
      subscriber_waker_.WaitFor(backoff.Next());
      continue;
    }
    SetSubscriberUp(true);
    outage.Up(fmt::format("subscribed at {} ({} streams)", conn.Authority(), subscribed.size()));
    backoff.Reset();
    Error why = ReadPushes(conn, subscriber_waker_, pushes);
    SetSubscriberUp(false);
    ReleaseWaiters(~uint64_t{0});
    if (stopping_) break;
    outage.Down(why.message);
    subscriber_waker_.WaitFor(backoff.Next());
  }
}

}  // namespace cable::server
