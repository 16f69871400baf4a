#include "common/broadcast/redis_open.h"

#include <fmt/format.h>

#include <string>

#include "common/broadcast/redis_sentinel.h"
#include "common/net/host_port.h"

namespace cable::broadcast {

namespace {

// Runs a setup command; a reply of type error becomes `refused`.
Result<RedisReply> Setup(RedisWire& wire, const std::vector<std::string_view>& args,
                         const char* refused, std::chrono::milliseconds timeout) {
  auto reply = wire.Command(args, timeout);
  if (!reply.ok()) {
    Error e = reply.error();
    e.message = fmt::format("connection to Redis at {} lost during {}: {}", wire.authority(),
                            args[0], e.message);
    return e;
  }
  if ((*reply)->type == REDIS_REPLY_ERROR) {
    return Error{refused, fmt::format("Redis at {} refused {}: {}", wire.authority(), args[0],
                                      ReplyString(reply->get()))};
  }
  return reply;
}

}  // namespace

Result<std::unique_ptr<RedisWire>> OpenRedis(const RedisUrl& url,
                                             std::chrono::milliseconds timeout) {
  RedisAddress address{url.host, url.port};
  if (url.UsesSentinel()) {
    auto asked = AskSentinels(url, timeout);
    if (!asked.ok()) return asked.error();
    address = std::move(*asked);
  }
  auto socket =
      RedisSocket::Connect(address.host, address.port, url.tls ? &url.tls_settings : nullptr,
                           RedisSocket::Clock::now() + timeout);
  if (!socket.ok()) return socket.error();
  auto wire = std::make_unique<RedisWire>(std::move(*socket),
                                          net::JoinHostPort(address.host, address.port));
  if (!url.password.empty()) {
    std::vector<std::string_view> auth{"AUTH"};
    if (!url.username.empty()) auth.push_back(url.username);
    auth.push_back(url.password);
    if (auto r = Setup(*wire, auth, "unauthorized", timeout); !r.ok()) return r.error();
  }
  if (url.db != 0) {
    const std::string db = std::to_string(url.db);
    if (auto r = Setup(*wire, {"SELECT", db}, codes::kRedisError, timeout); !r.ok()) {
      return r.error();
    }
  }
  if (url.UsesSentinel()) {
    auto role = Setup(*wire, {"ROLE"}, codes::kRedisError, timeout);
    if (!role.ok()) return role.error();
    const redisReply* r = role->get();
    const std::string_view name =
        r->type == REDIS_REPLY_ARRAY && r->elements > 0 ? ReplyString(r->element[0]) : "";
    if (name != "master") {
      return Error{codes::kRedisError,
                   fmt::format("Redis at {}, named by Sentinel as master \"{}\", is a {}",
                               wire->authority(), url.host, name.empty() ? "?" : name)};
    }
  }
  return wire;
}

}  // namespace cable::broadcast
