#pragma once
// Asynchronous, rate-limited Disconnect calls (spec §5): a closed session
// never waits for the application, and a mass disconnect does not flood it.
// Calls are issued at most `rate` per second from a dedicated thread. When
// the backlog is full the call is issued at once instead of being dropped:
// losing an unsubscribe callback is worse than a burst.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "server/controller/controller.h"
#include "server/metrics/metrics.h"

namespace cable::server {

class DisconnectQueue {
 public:
  DisconnectQueue(Controller& controller, Metrics& metrics, int rate, size_t backlog);
  ~DisconnectQueue();

  void Enqueue(std::string sid, DisconnectRequest request);
  // Issues everything still queued without throttling and waits (bounded by
  // `timeout_ms`) for the replies.
  void Drain(int timeout_ms);

 private:
  struct Item {
    std::string sid;
    DisconnectRequest request;
  };
  void Loop();
  void Call(Item item);

  Controller& controller_;
  Metrics& metrics_;
  const int rate_;
  const size_t backlog_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable done_cv_;
  std::deque<Item> queue_;
  size_t in_flight_ = 0;
  bool draining_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace cable::server
