#pragma once
// A throwaway redis-server for integration tests, plus small synchronous
// clients to inspect it. The server listens on 127.0.0.1 on a free port, with
// persistence off, and is killed when the object goes out of scope.
//
//   RedisServer redis;                              // started and answering PING
//   RedisSubscriber sub(redis.port(), "__anycable__");
//   ... publish ...
//   auto msg = sub.Next();                          // payload, or nullopt on timeout
//   auto entries = redis.Command({"XRANGE", "s", "-", "+"});
//
// Failures to start or connect throw std::runtime_error (a test failure).

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "support/process.h"

struct redisContext;

namespace cable::testing {

struct RedisServerOptions {
  // Also listen with TLS on tls_port(), with the certificate of Certs()
  // (which is also the only CA it trusts for client certificates).
  bool tls = false;
  // With tls: refuse TLS clients without a certificate.
  bool tls_auth_clients = false;
  // More redis-server arguments, e.g. {"--replicaof", "127.0.0.1", "6379"}.
  std::vector<std::string> args;
};

class RedisServer {
 public:
  // True when redis-server can be found on PATH; tests GTEST_SKIP otherwise.
  static bool Available();

  explicit RedisServer(RedisServerOptions options = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  // The redis-server process, e.g. to stop it with SIGSTOP.
  ChildProcess& process() { return process_; }
  // "redis://127.0.0.1:<port>".
  std::string url() const;
  // With options.tls: the TLS port and "rediss://127.0.0.1:<tls_port>".
  int tls_port() const { return tls_port_; }
  std::string tls_url() const;

  // Graceful shutdown (SIGTERM): clients see their connections closed.
  void Stop();
  // Stop() if running, then start again on the same port and wait for PING.
  void Restart();

  // Runs one command on a fresh connection. The reply as JSON: bulk/status
  // strings -> string, integers -> number, arrays -> array, nil -> null,
  // errors -> {"error": "<message>"}.
  nlohmann::json Command(const std::vector<std::string>& args) const;

 private:
  void Start();
  RedisServerOptions options_;
  int port_ = 0;
  int tls_port_ = 0;
  ChildProcess process_;
};

// One command to the Redis (or Sentinel) on 127.0.0.1:<port>, on a fresh
// connection; the reply as RedisServer::Command gives it.
nlohmann::json RedisCommand(int port, const std::vector<std::string>& args);

// A Pub/Sub subscriber on one channel. Subscribed (confirmed by the server)
// when the constructor returns.
class RedisSubscriber {
 public:
  RedisSubscriber(int port, const std::string& channel);
  ~RedisSubscriber();
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

  // The next message published on the channel, or nullopt if none arrives
  // within `timeout`. A timeout leaves the subscriber usable.
  std::optional<std::string> Next(std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  redisContext* ctx_ = nullptr;
};

}  // namespace cable::testing
