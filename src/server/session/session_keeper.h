#pragma once
// Keeps the broker's snapshots of connected, restorable sessions alive:
// every sessions_ttl/2 it collects their ids from each worker and touches
// them in one call, so a snapshot expires sessions_ttl after its session
// is gone rather than while it is still connected.

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace cable::server {

class Broker;
class Node;

class SessionKeeper {
 public:
  SessionKeeper(Node& node, Broker& broker, int64_t sessions_ttl_s);
  ~SessionKeeper();
  void Start();
  void Stop();

 private:
  void Run();
  void TouchAll();

  Node& node_;
  Broker& broker_;
  const int64_t interval_s_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cable::server
