#include "server/broadcast/redis_broadcaster.h"

#include <fmt/format.h>

#include "server/redis/backoff.h"
#include "server/redis/outage_log.h"
#include "server/redis/push_reader.h"
#include "server/redis/redis_connection.h"

namespace cable::server {

RedisBroadcaster::RedisBroadcaster(broadcast::RedisUrl url, std::string channel, IngressSink sink)
    : url_(std::move(url)), channel_(std::move(channel)), sink_(std::move(sink)) {}

RedisBroadcaster::~RedisBroadcaster() {
  Stop();
}

Status RedisBroadcaster::Start() {
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void RedisBroadcaster::Stop() {
  stopping_ = true;
  waker_.Notify();
  if (thread_.joinable()) thread_.join();
}

void RedisBroadcaster::Run() {
  RedisConnection conn(url_);
  Backoff backoff;
  OutageLog outage("Redis broadcast adapter");
  const std::string source = "Redis channel " + channel_;
  PushHandlers handlers;
  handlers.message = [&](std::string_view, std::string_view payload) {
    DeliverPublication(payload, sink_, source);
  };
  handlers.wake = [&] { return !stopping_.load(); };

  while (!stopping_) {
    Status connected = conn.Connect();
    if (connected.ok()) {
      conn.Append({"SUBSCRIBE", channel_});
      connected = conn.Flush();
    }
    if (!connected.ok()) {
      outage.Down(connected.error().message);
      waker_.WaitFor(backoff.Next());
      continue;
    }
    // The confirmation is the first push; messages can only follow it.
    outage.Up(fmt::format("subscribed to channel {} at {}", channel_, conn.Authority()));
    backoff.Reset();
    Error why = ReadPushes(conn, waker_, handlers);
    if (stopping_) break;
    outage.Down(why.message);
    waker_.WaitFor(backoff.Next());
  }
}

}  // namespace cable::server
