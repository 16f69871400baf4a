#include "server/redis/push_reader.h"

#include <string>

namespace cable::server {

Error ReadPushes(RedisConnection& conn, const Waker& waker, const PushHandlers& handlers) {
  bool awaiting_pong = false;
  for (;;) {
    auto reply = conn.Read(waker, awaiting_pong ? conn.pong_timeout() : conn.keepalive());
    if (!reply.ok()) {
      if (reply.error().IsWoken()) {
        if (!handlers.wake()) return Error{"stopped", "stopped"};
        continue;
      }
      if (reply.error().IsTimeout()) {
        if (awaiting_pong) {
          conn.Close();
          return Error{"timeout",
                       "Redis at " + conn.Authority() + " stopped answering PING (keepalive)"};
        }
        conn.Append({"PING"});
        if (Status s = conn.Flush(); !s) return s.error();
        awaiting_pong = true;
        continue;
      }
      return reply.error();
    }
    awaiting_pong = false;
    const redisReply* r = reply->get();
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
        ReplyString(r->element[0]) == "message") {
      handlers.message(ReplyString(r->element[1]), ReplyString(r->element[2]));
    }
    if (handlers.pong && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        ReplyString(r->element[0]) == "pong") {
      handlers.pong(ReplyString(r->element[1]));
    }
    if (r->type == REDIS_REPLY_ERROR) {
      // E.g. an ACL that forbids the channel: retrying later may succeed.
      Error e{"redis_error", "Redis at " + conn.Authority() +
                                 " refused a subscription: " + std::string(ReplyString(r))};
      conn.Close();
      return e;
    }
    // Anything else is a (un)subscribe confirmation or a pong.
  }
}

}  // namespace cable::server
