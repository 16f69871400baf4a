#pragma once
// Counters a loop thread owns and any thread may read.
//
// Each counter has exactly one writer (its loop), so an increment is a
// relaxed load and store: no locked instruction on the message path, and
// readers (progress line, completion checks) see a value at most a few
// instructions stale.

#include <atomic>
#include <cstdint>

namespace cable::bench {

class Counter {
 public:
  void Add(int64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  int64_t Get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

struct LoopCounters {
  // Connection life cycle
  Counter started;   // TCP connects begun
  Counter upgraded;  // 101 Switching Protocols received
  Counter welcomed;
  Counter ready;        // welcomed and (when subscribing) confirmed
  Counter failed;       // never became ready
  Counter dropped;      // became ready, then lost the connection
  Counter in_flight;    // handshakes under way
  Counter late_starts;  // connects started > 10 ms after their scheduled time
  // Messages
  Counter sent;         // perform/echo commands written
  Counter send_failed;  // could not be written (connection gone)
  Counter received;     // data messages carrying a sequence number
  Counter unique;
  Counter duplicates;
  Counter out_of_order;
  Counter acks;   // broadcastResult replies
  Counter other;  // data messages without a sequence number
  Counter pings;
  Counter bytes_in;
  // Stream positions (broadcasts on actioncable-v1-ext-json)
  Counter positioned;    // deliveries carrying stream_id/epoch/offset
  Counter unpositioned;  // deliveries without
  Counter position_gaps;
  Counter skipped_offsets;  // offsets the gaps jumped over
  Counter position_duplicates;
  Counter epoch_changes;
  // Reconnect scenario
  Counter rejoin_dropped;  // clients dropped on purpose
  Counter rejoin_offline;  // dropped and not ready again (yet)
  Counter rejoin_restored;
  Counter rejoin_not_restored;  // subscribed again instead
  Counter rejoin_failed;        // the new connection never became ready
  Counter history_confirmed;
  Counter history_rejected;
  Counter history_unanswered;  // the run ended (or the client was lost) first
  Counter replayed;            // distinct messages received while recovering
  Counter replay_copies;       // second copies, dropped by offset
  Counter missed_across_drop;  // offsets a reconnecting client never got
  // Presence scenario (received / unique / duplicates above count the
  // join and leave events about other members)
  Counter presence_joins;     // join actions (join, or subscribe carrying presence)
  Counter presence_leaves;    // leave actions
  Counter presence_drops;     // drops without leaving (churn by disconnect)
  Counter presence_own;       // events about the receiver's own member
  Counter presence_bonus;     // new events a member was not required to see
  Counter presence_unknown;   // this run's ids with no such action
  Counter presence_foreign;   // other runs' members
  Counter presence_bad_info;  // joins whose info is not what the member sent
  Counter presence_errors;    // {"type":"error"} query replies
  Counter presence_answers;   // query replies (info or error)
  Counter presence_skipped;   // churn actions with every churner away
  Counter presence_late;      // joins and churn actions > 10 ms behind schedule
  Counter presence_offline;   // churners away by disconnect right now
  Counter presence_rejoin_failed;
  std::atomic<bool> presence_joined{false};   // every join of this loop sent (or lost)
  std::atomic<bool> presence_churned{false};  // churn over, every churner back (or failed)
  std::atomic<bool> rejoin_done{false};
  std::atomic<int64_t> last_ready_ns{0};  // when the latest client became ready
  std::atomic<bool> connect_done{false};
  std::atomic<bool> send_done{false};
};

}  // namespace cable::bench
