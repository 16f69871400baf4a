#pragma once
// One event-loop thread. Every session lives on exactly one worker for its
// whole life and its state is touched only there, so the hot path takes no
// locks. The worker owns what its sessions share: an epoll instance that
// watches their sockets (session_poller.h), a scratch buffer for reads
// and gathered writes, its shard of the hub, the list of sessions with
// queued output, and a coarse timer wheel for pings and write timeouts
// (one timer per worker instead of one per session keeps sessions small).

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "server/hub/broadcast.h"
#include "server/hub/hub_shard.h"
#include "server/hub/stream_watchers.h"
#include "server/session_poller.h"

namespace cable::server {

class Session;

// Counters bumped for every message: one set per worker, written only by
// its thread (a plain load+store, no locked instruction, no cache line
// shared with other workers) and summed when metrics are read.
struct WorkerCounters {
  std::atomic<uint64_t> server_msg_total{0};
  std::atomic<uint64_t> client_msg_total{0};
  std::atomic<uint64_t> data_sent_total{0};
  std::atomic<uint64_t> data_rcvd_total{0};

  static void Add(std::atomic<uint64_t>& counter, uint64_t n = 1) {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

class Worker {
 public:
  explicit Worker(int index);
  ~Worker();

  int index() const { return index_; }
  boost::asio::io_context& context() { return context_; }

  void Start();
  // Stops the loop and joins the thread.
  void Stop();
  bool InThread() const { return std::this_thread::get_id() == thread_id_; }

  // Thread-safe: queues a broadcast for this worker's subscribers. Broadcasts
  // are delivered in arrival order; a burst is handled in one pass, and the
  // output of the whole pass is flushed together (one write per socket).
  void Deliver(BroadcastPtr broadcast);

  // Worker-thread only.
  HubShard& hub() { return hub_; }
  SessionPoller& poller() { return poller_; }
  // Listeners that are not sessions (Durable Streams requests).
  StreamWatchers& watchers() { return watchers_; }
  // Shared scratch space for reads and gathered writes.
  char* scratch() { return scratch_.data(); }
  size_t scratch_size() const { return scratch_.size(); }
  void MarkDirty(Session* session);
  void Register(const std::shared_ptr<Session>& session);
  void Unregister(Session* session);
  const std::vector<std::shared_ptr<Session>>& sessions() const { return sessions_; }

  // Pings: `interval_ms` > 0 puts the session on the wheel for that interval
  // with a first ping after a random delay in [interval/2, 1.5*interval).
  void SchedulePings(Session* session, int interval_ms);
  void CancelPings(Session* session);

  // Sessions whose socket refused more bytes; checked for write timeouts.
  void WriteBlocked(Session* session);
  void WriteUnblocked(Session* session);

  void SetWriteTimeout(std::chrono::milliseconds timeout) { write_timeout_ = timeout; }

  // Pong enforcement (sessions that require pongs only): a session owes a
  // reply from its first ping on; any incoming frame pays the debt, and the
  // next ping opens a new one when none is open.
  void SetPongTimeout(std::chrono::milliseconds timeout) { pong_timeout_ = timeout; }
  void SetNativePings(bool on) { native_pings_ = on; }
  void PongSeen(Session* session) { pong_due_.erase(session); }

  uint64_t deliveries() const { return deliveries_; }
  WorkerCounters& counters() { return counters_; }

 private:
  static constexpr std::chrono::milliseconds kTick{100};

  struct PingWheel {
    int interval_ms = 0;
    std::vector<std::vector<Session*>> slots;
    size_t cursor = 0;
  };

  void DrainInbox();
  void FlushDirty();
  void OnTick();
  void ArmTick();
  PingWheel& WheelFor(int interval_ms);

  int index_;
  boost::asio::io_context context_{1};
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
  std::thread thread_;
  std::thread::id thread_id_;

  std::mutex inbox_mu_;
  std::vector<BroadcastPtr> inbox_;

  HubShard hub_;
  StreamWatchers watchers_;
  std::vector<char> scratch_;
  std::vector<Session*> dirty_;  // sessions with queued output, flushed from dirty_head_
  size_t dirty_head_ = 0;
  bool flush_posted_ = false;
  // Unordered; each session knows its index (Session::registry_slot_), so
  // removal is a swap with the last one: 16 bytes a session, where a hash
  // set took 40.
  std::vector<std::shared_ptr<Session>> sessions_;
  // Sessions that ended during this turn of the loop, released after it: a
  // batch of readiness events may still name one.
  std::vector<std::shared_ptr<Session>> retired_;
  SessionPoller poller_{context_};

  boost::asio::steady_timer tick_timer_{context_};
  std::map<int, PingWheel> wheels_;
  std::unordered_set<Session*> write_blocked_;
  std::chrono::milliseconds write_timeout_{2000};
  std::chrono::milliseconds pong_timeout_{0};
  bool native_pings_ = false;
  std::unordered_map<Session*, std::chrono::steady_clock::time_point> pong_due_;
  uint64_t deliveries_ = 0;
  alignas(64) WorkerCounters counters_;
  uint64_t rng_state_;
};

}  // namespace cable::server
