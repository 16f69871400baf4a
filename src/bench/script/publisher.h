#pragma once
// The `broadcast` steps' way out: one thread that publishes what clients
// queue, through the run's broadcast adapter (--broadcast-url and friends).
// Publishing blocks (an HTTP round trip, a Redis reply), so it never runs
// on a loop thread; a step only appends its body to the queue and goes on.
// A publication counts as sent once the adapter accepted it.

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "bench/script/shared.h"
#include "common/broadcast/publisher.h"

namespace cable::bench::script {

class ScriptPublisher {
 public:
  ScriptPublisher(ScriptShared& shared, broadcast::PublisherConfig config);
  ~ScriptPublisher();

  // Builds the adapter; the Error says what is misconfigured.
  Status Prepare();
  void Start();
  // Publishes what is queued, then stops the thread.
  void Stop();

  // Any thread: queues one publication body for metric `metric`.
  void Post(int metric, std::string body);
  // Nothing queued and nothing being published.
  bool idle() const { return pending_.load(std::memory_order_acquire) == 0; }
  std::string last_error();
  double cpu_s() const { return static_cast<double>(cpu_ns_.load()) / 1e9; }

 private:
  void Run();

  ScriptShared& shared_;
  broadcast::PublisherConfig config_;
  std::unique_ptr<broadcast::Publisher> publisher_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<int, std::string>> queue_;  // guarded by mu_
  bool stop_ = false;                              // guarded by mu_
  std::string last_error_;                         // guarded by mu_
  std::atomic<int64_t> pending_{0};
  std::atomic<int64_t> cpu_ns_{0};
};

}  // namespace cable::bench::script
