#pragma once
// One event-loop thread and the clients it owns.
//
// A run has one Loop per usable core; client n belongs to loop n % loops
// for its whole life, so a client's state is only ever touched by one
// thread and the message path takes no lock. The loop also drives the work
// that must happen next to its sockets: the connect ramp, echo sending on a
// schedule, and `perform` broadcasts posted by the publisher thread.
//
// Sockets live in the loop's own level-triggered epoll set, which is itself
// one descriptor in the io_context: asio re-arms a wait with an epoll_ctl
// call each time, which per socket would be one extra syscall per received
// message; here that cost is paid once per batch of ready sockets. Timers
// and cross-thread posts stay with asio.
//
// Histograms: the loop records into its own totals and into an interval
// histogram that a 100 ms timer folds into a mutex-guarded accumulator; the
// main thread takes that accumulator for the live progress line and the
// percentile-over-time chart. Totals are read only after Shutdown().

#include <sys/epoll.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/connection.h"
#include "bench/counters.h"
#include "bench/histogram.h"
#include "bench/plan.h"
#include "bench/presence_board.h"
#include "bench/presence_driver.h"
#include "bench/reconnector.h"

namespace cable::bench {

struct ScannedMessage;
namespace script {
class ScriptDriver;
class ScriptShared;
}  // namespace script

// State shared by all loops and the main/publisher threads for one run.
struct RunShared {
  const Plan* plan = nullptr;
  const BenchOptions* options = nullptr;
  // Messages successfully published to each stream (adapter: by the
  // publisher thread; perform: by the loop that wrote the command).
  std::unique_ptr<std::atomic<int64_t>[]> published;
  // Presence: every member's actions, written by its loop, read by all.
  std::unique_ptr<PresenceBoard> presence_board;
  // `cable bench run`: every client walks a script instead (script/driver.h).
  script::ScriptShared* script = nullptr;
};

class Loop {
 public:
  Loop(int index, int loops, RunShared& shared);
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  void Start();
  // Closes every connection, stops the thread and joins it.
  void Shutdown();
  // Runs `fn` on the loop thread and waits for it (false on timeout).
  bool RunSync(const std::function<void()>& fn, int timeout_ms = 10000);
  pthread_t native_thread() { return thread_.native_handle(); }
  int index() const { return index_; }
  int loops() const { return loops_; }
  // This loop's place among the loops of every shard (shard.h): work item i
  // of the whole run (an echo request, a unit of concurrency) is slot
  // i mod slots()'s, whatever the other shards' thread counts.
  int64_t slot() const {
    return (shared_.options->shard_index - 1) +
           static_cast<int64_t>(shared_.options->shard_count) * index_;
  }
  int64_t slots() const { return static_cast<int64_t>(shared_.options->shard_count) * loops_; }

  // --- Any thread ---
  void BeginConnect(int64_t t0_ns);
  // Echo phase: open loop at the options' rate, or closed loop with
  // --concurrent requests in flight; stops at `end_ns` or the count.
  void BeginEcho(int64_t t0_ns, int64_t end_ns, int64_t count);
  // Sends a `broadcast` perform from `sender` (one of this loop's clients).
  void PostPerform(Connection* sender, int64_t seq, int64_t ts_ns);
  // Takes what was recorded since the last call.
  void TakeIntervals(Histogram* connect, Histogram* message);
  std::map<std::string, int64_t> FailureReasons();
  std::map<std::string, int64_t> DropReasons();
  LoopCounters counters;

  // --- Loop thread ---
  Connection* FirstReadyOf(int stream);
  char* read_buffer() { return read_buffer_.get(); }
  static constexpr size_t kReadBufferSize = 128 * 1024;
  std::string& frame_buffer() { return frame_buffer_; }
  std::string& command_buffer() { return command_buffer_; }
  Reconnector& reconnector() { return reconnector_; }
  PresenceDriver& presence() { return presence_; }
  script::ScriptDriver* script() { return script_.get(); }
  PresenceBoard* presence_board() const { return shared_.presence_board.get(); }
  // A delivery latency for the headline histogram (and the live interval).
  void RecordLatency(int64_t ns) {
    latency_.Record(ns);
    message_interval_.Record(ns);
  }
  // The masking key of every frame this loop sends: masking guards against
  // cache poisoning by hostile scripts in browsers, not against the server
  // we are measuring, so one random key per loop is enough.
  const uint8_t* mask() const { return mask_; }
  const Plan& plan() const { return *shared_.plan; }
  const BenchOptions& options() const { return *shared_.options; }
  boost::asio::io_context& io() { return io_; }

  // Socket readiness (level-triggered) for `fd`, reported to `c`.
  void Watch(int fd, Connection* c, uint32_t events);
  void Modify(int fd, Connection* c, uint32_t events);

  // Connection callbacks.
  void OnTcpConnected(Connection& c, int64_t now_ns);
  void OnUpgraded(Connection& c);
  void OnWelcome(Connection& c, int64_t now_ns);
  void OnReady(Connection& c, int64_t now_ns);
  void OnData(Connection& c, const ScannedMessage& m);
  // Exactly-once accounting of one delivery; false for a duplicate.
  bool CountSeq(Connection& c, int64_t seq);
  void OnPing() { counters.pings.Add(); }
  void OnBytes(int64_t n) { counters.bytes_in.Add(n); }
  void OnEnded(Connection& c, std::string_view reason, bool was_handshaking);

  // --- After Shutdown ---
  const Histogram& tcp_hist() const { return tcp_; }
  const Histogram& welcome_hist() const { return welcome_; }
  const Histogram& ready_hist() const { return ready_; }
  const Histogram& latency_hist() const { return latency_; }
  const Histogram& ack_hist() const { return ack_; }
  const std::vector<std::unique_ptr<Connection>>& connections() const { return connections_; }
  int64_t max_connect_lag_ns() const { return max_connect_lag_ns_; }

 private:
  void ArmPoller();
  void Poll();
  void Tick();
  void ScheduleTick();
  void PumpConnects();
  void CheckHandshakeTimeouts(int64_t now_ns);
  void EchoTick();
  void SendEcho(Connection& c, int64_t ts_ns);
  Connection* NextReady();
  // Checks a delivery's stream position; false for a second copy of a
  // replayed message, which is then not counted at all.
  bool CheckPosition(Connection& c, const ScannedMessage& m);

  int index_;
  int loops_;
  RunShared& shared_;
  boost::asio::io_context io_;
  boost::asio::posix::stream_descriptor poller_;  // owns the epoll fd
  static constexpr int kMaxEvents = 512;
  epoll_event events_[kMaxEvents];
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer ramp_timer_;
  boost::asio::steady_timer echo_timer_;
  std::thread thread_;
  bool running_ = false;
  bool check_positions_ = false;
  Reconnector reconnector_;
  PresenceDriver presence_;
  std::unique_ptr<script::ScriptDriver> script_;

  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> ready_list_;  // in the order they became ready
  size_t ready_cursor_ = 0;
  std::unique_ptr<char[]> read_buffer_;
  std::string frame_buffer_;
  std::string payload_buffer_;
  std::string command_buffer_;
  uint8_t mask_[4];

  // Connect ramp
  bool connecting_ = false;
  size_t next_connect_ = 0;
  int64_t connect_t0_ = 0;
  int64_t in_flight_ = 0;
  int64_t in_flight_cap_ = 1;
  int64_t max_connect_lag_ns_ = 0;

  // Echo schedule
  bool echoing_ = false;
  int64_t echo_next_ns_ = 0;
  int64_t echo_period_ns_ = 0;
  int64_t echo_end_ns_ = 0;
  int64_t echo_left_ = 0;
  int64_t echo_in_flight_ = 0;

  Histogram tcp_, welcome_, ready_, latency_, ack_;
  Histogram connect_interval_, message_interval_;  // since the last fold
  std::mutex shared_mu_;
  Histogram shared_connect_, shared_message_;        // guarded by shared_mu_
  std::map<std::string, int64_t> failures_, drops_;  // guarded by shared_mu_
};

// One counter summed over every loop's counters (after the run).
inline int64_t SumOverLoops(const std::vector<std::unique_ptr<Loop>>& loops,
                            Counter LoopCounters::*field) {
  int64_t total = 0;
  for (const auto& l : loops) total += (l->counters.*field).Get();
  return total;
}

}  // namespace cable::bench
