#pragma once
// A throwaway redis-sentinel monitoring one master, for failover tests. Its
// configuration file (which Sentinel rewrites) lives in a temporary directory;
// the process is killed when the object goes out of scope. Quorum 1 and short
// timeouts, so that one sentinel fails over within seconds.
//
//   RedisServer master;
//   RedisServer replica({.args = {"--replicaof", "127.0.0.1", port}});
//   RedisSentinel sentinel("mymaster", master.port());
//   sentinel.Failover();   // replica promoted (throws after a deadline)

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/process.h"
#include "support/temp_dir.h"

namespace cable::testing {

class RedisSentinel {
 public:
  static bool Available();

  RedisSentinel(const std::string& master_name, int master_port);
  ~RedisSentinel();
  RedisSentinel(const RedisSentinel&) = delete;
  RedisSentinel& operator=(const RedisSentinel&) = delete;

  int port() const { return port_; }
  // "127.0.0.1:<port>", as --redis_sentinels takes it.
  std::string address() const;

  // The port of the master as this sentinel knows it, or 0.
  int MasterPort() const;
  // Waits until the sentinel knows a replica in sync, asks it to fail over
  // and waits until it names a master other than the old one; returns the new
  // master's port. Throws std::runtime_error after a deadline.
  int Failover();

  // One command to the sentinel; the reply as RedisServer::Command gives it.
  nlohmann::json Command(const std::vector<std::string>& args) const;

 private:
  std::string name_;
  int port_ = 0;
  TempDir dir_;
  ChildProcess process_;
};

}  // namespace cable::testing
