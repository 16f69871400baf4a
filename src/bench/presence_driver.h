#pragma once
// The presence scenario on one loop thread.
//
// Joins: clients connect without subscribing; from BeginJoins(t0) client n
// subscribes at t0 + n/rate (whichever loop owns it, so the loops together
// offer exactly --rate) and joins with a join command as soon as the
// subscription is confirmed. Every subscriber of the stream, joined or not,
// receives each join, so the k-th joiner's event reaches the k-1 members
// already there: about N²/2 deliveries for N members.
//
// Churn: from BeginChurn(t0) this loop takes its share of --churn-rate
// actions, each on the next of its churners (the last --churn clients) that
// is joined: by leave (a `leave`, then after --churn-pause a `join` with the
// next epoch's id on the same subscription) or by disconnect (an abortive
// drop; after the pause a new connection subscribes carrying the next
// epoch's presence, and the server announces the old member's leave once its
// presence TTL has passed).
//
// Every action is written to the shared PresenceBoard as it is sent and
// logged for the PresenceLedger; every event a member receives is accounted
// by AccountPresenceEvent(). Latencies go to the loop's headline histogram
// (joins and leaves) and to three histograms of their own, read after the
// loop has stopped.

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "bench/histogram.h"
#include "bench/presence_board.h"
#include "bench/presence_ledger.h"

namespace cable::bench {

class Connection;
class Loop;
struct ScannedMessage;

// What a presence query (`presence` command) got back.
struct PresenceAnswer {
  int stream = 0;
  bool error = false;   // {"type":"error"}
  int64_t total = 0;    // the reply's `total`
  int64_t records = 0;  // entries in `records`
  int64_t ours = 0;     // of them, this run's members
};

class PresenceDriver {
 public:
  explicit PresenceDriver(Loop& loop);

  // Before the loop starts: one of this loop's clients (in client order).
  void Add(Connection* c);

  // --- Any thread ---
  void BeginJoins(int64_t t0_ns);
  void BeginChurn(int64_t t0_ns, int64_t end_ns);
  // Asks the server for `c`'s stream's members from `c` (this loop's).
  void PostQuery(Connection* c);
  std::map<std::string, int64_t> FailureReasons();
  std::vector<PresenceAnswer> Answers();

  // --- Loop thread (from Connection and Loop) ---
  // A churner's new connection was welcomed: subscribe with presence.
  void OnRewelcome(Connection& c, int64_t now_ns);
  void OnConfirmed(Connection& c, int64_t now_ns);
  void OnMessage(Connection& c, const ScannedMessage& m);
  // `c` lost its connection. True when it was a churner coming back (counted
  // here as a failed rejoin); otherwise the loop counts it as a drop.
  bool OnEnded(Connection& c, std::string_view reason);
  // Subscriptions and reconnects that take longer than --connect-timeout.
  void CheckTimeouts(int64_t now_ns);
  bool active() const { return pending_joins_ > 0 || pending_rejoins_ > 0; }
  void Stop();
  const std::vector<ActionRecord>& actions() const { return actions_; }

  // --- After the loop has stopped ---
  const Histogram& join_hist() const { return join_; }
  const Histogram& leave_hist() const { return leave_; }
  const Histogram& drop_hist() const { return drop_; }

 private:
  void PumpJoins();
  void ChurnDue();
  void Churn(Connection& c, int64_t now_ns);
  void ReturnDue();
  void ArmReturn();
  // Records the action and sends the join of `c`'s current epoch.
  void SendJoin(Connection& c, int64_t now_ns);
  void Record(Connection& c, PresenceAction action, int64_t now_ns);
  void OnAnswer(Connection& c, const ScannedMessage& m);
  void MaybeJoined();
  void MaybeChurned();

  Loop& loop_;
  std::vector<Connection*> members_, churners_;
  boost::asio::steady_timer join_timer_, churn_timer_, return_timer_;
  // Joins
  bool joining_ = false;
  int64_t join_t0_ = 0;
  size_t next_join_ = 0;
  int64_t pending_joins_ = 0;  // subscribed, not confirmed yet
  // Churn
  bool churning_ = false;
  int64_t churn_next_ns_ = 0, churn_period_ns_ = 0, churn_end_ns_ = 0;
  size_t churn_cursor_ = 0;
  std::deque<Connection*> away_;  // left or dropped, in the order they went
  bool return_armed_ = false;
  int64_t pending_rejoins_ = 0;  // reconnecting, not subscribed again yet
  std::vector<ActionRecord> actions_;
  Histogram join_, leave_, drop_;
  std::string command_;
  std::mutex mu_;
  std::map<std::string, int64_t> failures_;  // guarded by mu_
  std::vector<PresenceAnswer> answers_;      // guarded by mu_
};

}  // namespace cable::bench
