#pragma once
// The sentinels known for one master: those listed (--redis_sentinels) and
// those discovered since by asking them `SENTINEL SENTINELS <master>`, so
// that a failover is still followed after the listed sentinels are gone.
// One roster is shared by every connection of the process to the same
// master through the same list; while it lives, a thread of its own asks
// again every `interval`.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/broadcast/redis_url.h"

namespace cable::broadcast {

class SentinelRoster {
 public:
  // Discovery beyond this many sentinels is ignored (a sentinel's answer is
  // input like any other).
  static constexpr size_t kMaxSentinels = 64;

  // The roster for `master` through `listed`, created on first use.
  // `interval` <= 0: no periodic discovery.
  static std::shared_ptr<SentinelRoster> Shared(const std::string& master,
                                                const std::vector<RedisSentinel>& listed,
                                                std::chrono::seconds interval);

  SentinelRoster(std::string master, std::vector<RedisSentinel> listed);
  ~SentinelRoster();
  SentinelRoster(const SentinelRoster&) = delete;
  SentinelRoster& operator=(const SentinelRoster&) = delete;

  // The listed sentinels first, then the discovered ones.
  std::vector<RedisSentinel> Known() const;
  // Asks every known sentinel for the others it knows; adds (and logs) the
  // new ones and returns how many there were.
  size_t Discover(std::chrono::milliseconds timeout);

 private:
  void Every(std::chrono::seconds interval);

  const std::string master_;
  mutable std::mutex mu_;
  std::vector<RedisSentinel> known_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cable::broadcast
