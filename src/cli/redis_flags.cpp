#include "cli/redis_flags.h"

namespace cable::cli {

void AddRedisFlags(CLI::App* sub, RedisFlags& flags, const std::string& group, bool env) {
  // An empty CLI11 group would hide the flag: keep the command's default.
  auto with_env = [env, &group](CLI::Option* option, const char* name) {
    if (env && name != nullptr) option->envname(name);
    if (!group.empty()) option->group(group);
    return option;
  };
  with_env(sub->add_option("--redis-sentinels,--redis_sentinels", flags.sentinels,
                           "Redis Sentinel addresses, comma-separated; the Redis URL's host is "
                           "then the master's name"),
           "ANYCABLE_REDIS_SENTINELS");
  with_env(
      sub->add_option("--redis-tls-ca", flags.ca_file,
                      "rediss://: trust this CA certificate (PEM) instead of the system store"),
      "ANYCABLE_REDIS_TLS_CA_CERT_PATH")
      ->check(CLI::ExistingFile);
  auto* cert = with_env(sub->add_option("--redis-tls-cert", flags.cert_file,
                                        "rediss://: client certificate (PEM) for mutual TLS"),
                        "ANYCABLE_REDIS_TLS_CLIENT_CERT_PATH");
  auto* key = with_env(sub->add_option("--redis-tls-key", flags.key_file,
                                       "The private key of --redis-tls-cert (PEM)"),
                       "ANYCABLE_REDIS_TLS_CLIENT_KEY_PATH");
  cert->check(CLI::ExistingFile)->needs(key);
  key->check(CLI::ExistingFile)->needs(cert);
  with_env(sub->add_flag("--redis-insecure", flags.insecure,
                         "rediss://: do not verify the Redis server's certificate"),
           nullptr);
}

void ApplyRedisFlags(const RedisFlags& flags, broadcast::PublisherConfig& config) {
  config.redis_sentinels = flags.sentinels;
  config.redis_tls.verify = !flags.insecure;
  config.redis_tls.ca_file = flags.ca_file;
  config.redis_tls.cert_file = flags.cert_file;
  config.redis_tls.key_file = flags.key_file;
}

}  // namespace cable::cli
