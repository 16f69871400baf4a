#pragma once
// Asynchronous, rate-limited Disconnect calls (spec §5): a closed session
// never waits for the application, and a mass disconnect does not flood it.
// Calls are issued at most `rate` per second from a dedicated thread, in
// the order the sessions closed.
//
// anycable-go blocks the closing goroutine while its backlog is full; here
// a session closes on an event loop shared with thousands of others, so
// nothing blocks: calls beyond `backlog` wait in an overflow behind it and
// still leave at the rate (the application never sees a burst). Only beyond
// `limit` (a larger bound that keeps memory in check) is a call dropped,
// counted in disconnect_dropped_total and reported in one warning line per
// kReportInterval, never one per call.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "server/controller/controller.h"
#include "server/metrics/metrics.h"

namespace cable::server {

class DisconnectQueue {
 public:
  // The overflow holds this many times the backlog.
  static constexpr size_t kOverflowFactor = 8;
  static constexpr std::chrono::seconds kReportInterval{10};

  // `limit` 0: backlog * kOverflowFactor.
  DisconnectQueue(Controller& controller, Metrics& metrics, int rate, size_t backlog,
                  size_t limit = 0);
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
  // One warning per interval about the overflow and drops (mu_ held).
  void ReportLocked();

  Controller& controller_;
  Metrics& metrics_;
  const int rate_;
  const size_t backlog_;
  const size_t limit_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable done_cv_;
  std::deque<Item> queue_;  // the backlog, then the overflow behind it
  size_t in_flight_ = 0;
  bool draining_ = false;
  bool stop_ = false;
  // Since the last warning: calls that went into the overflow, calls dropped.
  uint64_t overflowed_ = 0, dropped_ = 0;
  std::chrono::steady_clock::time_point last_report_{};
  std::thread thread_;
};

}  // namespace cable::server
