#pragma once
// Finding the current master through Redis Sentinel: the sentinels are asked
// in turn (SENTINEL get-master-addr-by-name <name>) until one knows the
// address. Asked on every (re)connection, so that after a failover the next
// connection goes to the promoted replica. With a roster (see
// SentinelRoster), the sentinels discovered since are asked too.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/broadcast/redis_url.h"
#include "common/broadcast/redis_wire.h"
#include "common/result.h"

namespace cable::broadcast {

struct RedisAddress {
  std::string host;
  int port = 0;
};

// One SENTINEL command (`args` after SENTINEL) to one sentinel over a
// connection of its own. As in anycable-go, sentinels are reached over
// plain TCP without AUTH.
Result<RedisReply> AskSentinel(const RedisSentinel& sentinel,
                               const std::vector<std::string_view>& args,
                               std::chrono::milliseconds timeout);

// The master's address for `url.host` as the first answering sentinel knows
// it. Error "unreachable" when none does; its message lists each sentinel's
// answer or failure.
Result<RedisAddress> AskSentinels(const RedisUrl& url, std::chrono::milliseconds timeout);

}  // namespace cable::broadcast
