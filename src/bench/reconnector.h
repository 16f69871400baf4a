#pragma once
// The reconnect scenario (--reconnect) on one loop thread.
//
// At its drop time every ready client of this loop that was planned to
// rejoin closes its socket abortively (RST, no close frame: what a network
// failure looks like to the server). The drop times are all the same, or
// spread evenly over --reconnect-spread across all loops' rejoining
// clients. After --reconnect-pause each connects again with ?sid=<the sid
// of its last welcome>. A restored session gets
// a `history` request with the last position seen on each stream; a
// session the server did not restore subscribes again with the same
// request attached. Deliveries are held while the replay runs and counted,
// de-duplicated by offset, once confirm_history (or reject_history)
// arrives; the positions then tell how many messages were missed across
// the drop (PositionTracker).
//
// Counters go to the loop's LoopCounters; reconnect handshake, recovery and
// history round-trip times to three histograms read after the loop has
// stopped.

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "bench/histogram.h"

namespace cable::bench {

class Connection;
class Loop;

class Reconnector {
 public:
  explicit Reconnector(Loop& loop);

  // Before the loop starts: `c` is one of the clients that drop.
  void Add(Connection* c) { clients_.push_back(c); }

  // Any thread: drops this loop's clients from `drop_ns` on (spread as
  // configured) and brings each back after the pause. `since_unix_s` goes
  // into history requests of clients that never saw a stream position.
  void Begin(int64_t drop_ns, int64_t since_unix_s);

  // --- Loop thread (from Connection and Loop) ---
  void OnWelcome(Connection& c, bool restored);
  // Ready again: restored (at welcome) or subscribed again (at confirm).
  void OnReady(Connection& c, int64_t now_ns);
  void OnHistoryEnd(Connection& c, bool confirmed, int64_t now_ns);
  // The new connection never became ready.
  void OnFailed(Connection& c, std::string_view reason);
  // A client lost its connection again while its replay was under way.
  void OnLost(Connection& c);
  void CheckTimeouts(int64_t now_ns);
  // Ends the replays still open (the run is over): held deliveries are
  // counted and offsets never recovered are missed. Clients not back yet
  // count as failed reconnects.
  void Finish();
  // Cancels whatever is scheduled (the loop is shutting down).
  void Stop();

  int64_t since_unix_s() const { return since_unix_s_; }
  bool active() const { return active_; }

  // --- Any thread ---
  std::map<std::string, int64_t> FailureReasons();

  // --- After the loop has stopped ---
  const Histogram& ready_hist() const { return ready_; }
  const Histogram& recovered_hist() const { return recovered_; }
  // From sending the history request to confirm_history.
  const Histogram& history_hist() const { return history_; }

 private:
  // When clients_[i] drops: the base time plus its share of the spread.
  int64_t DropNs(size_t i) const;
  // Drops the clients due by now and arms the timers for the next drop and
  // the next return.
  void DropDue();
  // Brings back the dropped clients whose pause is over.
  void ReturnDue();
  void ArmReturns();
  // Every drop has happened and every dropped client has settled.
  void MaybeDone();
  // Counts what the replay held back and closes the client's recovery.
  void EndRecovery(Connection& c);
  // One client fewer to wait for.
  void Settled();

  Loop& loop_;
  std::vector<Connection*> clients_;
  boost::asio::steady_timer drop_timer_, return_timer_;
  bool active_ = false;
  bool return_armed_ = false;
  int64_t since_unix_s_ = 0;
  int64_t drop_ns_ = 0;     // the first drop
  size_t next_drop_ = 0;    // clients_[next_drop_..] have not reached their drop time
  size_t next_return_ = 0;  // clients_[next_return_..] have not reached their return time
  int pending_ = 0;         // dropped clients whose replay has not ended yet
  Histogram ready_, recovered_, history_;
  std::mutex mu_;
  std::map<std::string, int64_t> failures_;  // guarded by mu_
};

}  // namespace cable::bench
