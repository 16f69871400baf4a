#pragma once
// The Redis connection flags shared by the commands that publish to Redis
// (broadcast, rpc, bench, conformance): Sentinel and TLS for rediss://, named
// like each command's other TLS flags. `cable serve` has anycable-go's names
// instead (--redis_sentinels, --redis_tls_*).

#include <CLI/CLI.hpp>
#include <string>

#include "common/broadcast/publisher.h"

namespace cable::cli {

struct RedisFlags {
  std::string sentinels;
  std::string ca_file, cert_file, key_file;
  bool insecure = false;
};

// Adds --redis-sentinels, --redis-tls-ca, --redis-tls-cert, --redis-tls-key
// and --redis-insecure to `group` (empty: the default); with `env`, each reads the
// ANYCABLE_REDIS_* variable `cable serve` reads.
void AddRedisFlags(CLI::App* sub, RedisFlags& flags, const std::string& group, bool env);

void ApplyRedisFlags(const RedisFlags& flags, broadcast::PublisherConfig& config);

}  // namespace cable::cli
