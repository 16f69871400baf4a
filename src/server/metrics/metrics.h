#pragma once
// Process-wide counters and gauges, named as anycable-go names them
// (without the `anycable_go_` prefix the exporters add). The per-message
// ones live per worker (WorkerCounters in worker.h); Node::CollectMetrics
// sums both.

#include <atomic>
#include <cstdint>

#include "server/metrics/identifier_tally.h"

namespace cable::server {

struct Metrics {
  std::atomic<int64_t> clients_num{0};
  std::atomic<int64_t> sse_clients_num{0};  // answered SSE sessions (also in clients_num)
  IdentifierTally uniq_identifiers;         // clients_uniq_num
  std::atomic<uint64_t> failed_client_msg_total{0};
  std::atomic<uint64_t> failed_server_msg_total{0};
  std::atomic<uint64_t> timeout_server_msg_total{0};
  std::atomic<uint64_t> publications_total{0};
  std::atomic<uint64_t> failed_auths_total{0};
  std::atomic<uint64_t> disconnected_slow_clients_total{0};
  std::atomic<uint64_t> broadcast_msg_total{0};
  std::atomic<uint64_t> failed_broadcast_msg_total{0};
  std::atomic<uint64_t> remote_commands_total{0};
  std::atomic<uint64_t> rpc_call_total{0};
  std::atomic<uint64_t> rpc_error_total{0};
  std::atomic<uint64_t> rpc_retries_total{0};
  std::atomic<uint64_t> rpc_timeout_total{0};
  std::atomic<uint64_t> rpc_canceled_total{0};
  std::atomic<int64_t> rpc_pending_num{0};
  // Reliable streams (cable's own; anycable-go has no equivalents).
  std::atomic<uint64_t> connect_calls_total{0};
  std::atomic<uint64_t> sessions_restored_total{0};
  std::atomic<uint64_t> history_requests_total{0};
  std::atomic<uint64_t> history_rejected_total{0};
  std::atomic<uint64_t> broker_store_failed_total{0};
  std::atomic<int64_t> disconnect_queue_size{0};
  // Durable Streams (exported with --ds only, as anycable-go registers them).
  std::atomic<uint64_t> ds_requests_total{0};
  std::atomic<uint64_t> ds_poll_requests_total{0};
  std::atomic<uint64_t> ds_sse_requests_total{0};
  std::atomic<int64_t> ds_poll_clients_num{0};
  std::atomic<int64_t> ds_sse_clients_num{0};
  // Disconnect calls dropped beyond the queue's hard bound (cable's own).
  std::atomic<uint64_t> disconnect_dropped_total{0};
};

inline void Inc(std::atomic<uint64_t>& c, uint64_t n = 1) {
  c.fetch_add(n, std::memory_order_relaxed);
}

}  // namespace cable::server
