#pragma once
// Where and how to reach Redis: a URL in the form AnyCable accepts for
// --redis_url, redis[s]://[[username]:password@]host[:port][/db] (query
// parameters are ignored), plus the settings given next to it: TLS trust for
// rediss:// and the Sentinel addresses (--redis_sentinels), with which the
// URL's host is the name of the monitored master, as in anycable-go.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace cable::broadcast {

// TLS settings for rediss://. Unlike anycable-go (whose hidden
// --redis_tls_verify defaults to false), the server certificate is verified
// unless `verify` is turned off: a TLS connection that accepts any
// certificate protects against nothing but a passive listener.
struct RedisTls {
  bool verify = true;
  std::string ca_file;    // PEM to trust; empty: the system trust store
  std::string cert_file;  // client certificate (mutual TLS); empty: none
  std::string key_file;   // its key
};

struct RedisSentinel {
  std::string host;
  int port = 26379;
};

class SentinelRoster;

struct RedisUrl {
  std::string host = "localhost";
  int port = 6379;
  std::string username;  // Redis 6 ACL user; empty = default user
  std::string password;  // empty = no AUTH
  int db = 0;            // SELECT db when non-zero
  bool tls = false;      // rediss://
  RedisTls tls_settings;
  // Non-empty: ask these for the address of the master named `host`.
  std::vector<RedisSentinel> sentinels;
  // When set, the sentinels to ask are the roster's (the listed ones and
  // those discovered since) rather than `sentinels`.
  std::shared_ptr<SentinelRoster> roster;
  // A long-lived connection silent this long is checked with PING
  // (--redis_keepalive_interval), so that a dead server or a NAT that
  // dropped the connection is noticed without traffic.
  std::chrono::seconds keepalive{30};

  // "host:port" for messages (never includes the password); with Sentinel,
  // "master <name>".
  std::string Authority() const;
  bool UsesSentinel() const { return !sentinels.empty(); }
};

// Errors: "bad_url", "unsupported" (unix sockets).
Result<RedisUrl> ParseRedisUrl(std::string_view url);

// Adds --redis_sentinels to a parsed URL: "host[:port],..." where each
// address may carry a scheme and "user:password@" as in anycable-go. As
// there, credentials and rediss:// given with the sentinels are those of the
// master (the sentinels themselves are asked without AUTH, over plain TCP);
// the URL's own credentials win when it has some. Empty `list`: no change.
Status AddRedisSentinels(RedisUrl& url, std::string_view list);

}  // namespace cable::broadcast
