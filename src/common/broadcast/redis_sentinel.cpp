#include "common/broadcast/redis_sentinel.h"

#include <fmt/format.h>

#include "common/broadcast/redis_sentinel_roster.h"
#include "common/broadcast/redis_wire.h"
#include "common/net/host_port.h"

namespace cable::broadcast {

Result<RedisReply> AskSentinel(const RedisSentinel& sentinel,
                               const std::vector<std::string_view>& args,
                               std::chrono::milliseconds timeout) {
  auto socket = RedisSocket::Connect(sentinel.host, sentinel.port, nullptr,
                                     RedisSocket::Clock::now() + timeout);
  if (!socket.ok()) return socket.error();
  RedisWire wire(std::move(*socket), net::JoinHostPort(sentinel.host, sentinel.port));
  std::vector<std::string_view> command{"SENTINEL"};
  command.insert(command.end(), args.begin(), args.end());
  return wire.Command(command, timeout);
}

namespace {

Result<RedisAddress> AskOne(const RedisSentinel& sentinel, const std::string& master,
                            std::chrono::milliseconds timeout) {
  auto reply = AskSentinel(sentinel, {"get-master-addr-by-name", master}, timeout);
  if (!reply.ok()) return reply.error();
  const redisReply* r = reply->get();
  if (r->type == REDIS_REPLY_ERROR) {
    return Error{codes::kRedisError, std::string(ReplyString(r))};
  }
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
    return Error{codes::kRedisError, "does not know master \"" + master + "\""};
  }
  RedisAddress address{std::string(ReplyString(r->element[0])), 0};
  const std::string port(ReplyString(r->element[1]));
  try {
    address.port = std::stoi(port);
  } catch (...) {
    address.port = 0;
  }
  if (address.host.empty() || address.port <= 0 || address.port > 65535) {
    return Error{codes::kRedisError, "answered an invalid address"};
  }
  return address;
}

}  // namespace

Result<RedisAddress> AskSentinels(const RedisUrl& url, std::chrono::milliseconds timeout) {
  std::string failures;
  for (const auto& sentinel : url.roster ? url.roster->Known() : url.sentinels) {
    auto address = AskOne(sentinel, url.host, timeout);
    if (address.ok()) return address;
    failures +=
        fmt::format("{}{}: {}", failures.empty() ? "" : "; ",
                    net::JoinHostPort(sentinel.host, sentinel.port), address.error().message);
  }
  return Error{codes::kUnreachable,
               fmt::format("no Redis Sentinel knows the master \"{}\" ({})", url.host, failures)};
}

}  // namespace cable::broadcast
