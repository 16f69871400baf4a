#pragma once
// The receive loop of a connection in Redis Pub/Sub mode (SUBSCRIBE sent):
// hands every `message` push to a callback and notices a dead server even
// when no traffic flows, by sending PING after the connection's keepalive
// interval of silence and giving up when its pong timeout passes without
// any reply.

#include <chrono>
#include <functional>
#include <string_view>

#include "common/result.h"
#include "server/redis/redis_connection.h"
#include "server/redis/waker.h"

namespace cable::server {

struct PushHandlers {
  std::function<void(std::string_view channel, std::string_view payload)> message;
  // A reply to `PING <payload>` sent by the owner (may be empty).
  std::function<void(std::string_view payload)> pong;
  // Called when the waker fires; drains it and returns false to stop
  // reading (the loop then returns Error "stopped").
  std::function<bool()> wake;
};

// Returns why reading ended: "stopped", or the connection's failure (the
// connection is then closed).
Error ReadPushes(RedisConnection& conn, const Waker& waker, const PushHandlers& handlers);

}  // namespace cable::server
