#pragma once
// Keeps what the broker holds for connected sessions alive: every ttl/2 it
// collects the ids of the sessions it is about from each worker and
// touches them in one call, so a record expires its ttl after the session
// is gone rather than while it is still connected. One keeper runs for
// session snapshots (sessions_ttl), one for presence (presence_ttl) when
// the broker needs it.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cable::server {

class Node;
class Session;

class SessionKeeper {
 public:
  // Sessions the keeper is about (called on their worker).
  using Select = bool (*)(const Session&);
  using Touch = std::function<void(std::vector<std::string> sids)>;

  SessionKeeper(Node& node, int64_t ttl_s, Select select, Touch touch);
  ~SessionKeeper();
  void Start();
  void Stop();

 private:
  void Run();
  void TouchAll();

  Node& node_;
  const std::chrono::milliseconds interval_;
  const Select select_;
  const Touch touch_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cable::server
