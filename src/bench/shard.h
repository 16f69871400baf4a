#pragma once
// One run split between N generators ("shards"): which clients, streams and
// messages belong to this generator, so that N processes started with
// --shard 1/N .. N/N together offer exactly the load of one run, and
// `cable bench merge` adds their reports up.
//
// Client i belongs to shard (i mod N) + 1 and keeps its global number, so
// its stream, its JWT user and whether it reconnects are what they would be
// in one run. In the broadcast scenario stream k belongs to shard
// (k mod N) + 1, which alone publishes to it (the messages i with
// i mod N = shard - 1, at the times one run would publish them). --streams
// must then be a multiple of N: every subscriber of a stream is in the
// shard that publishes to it, so each shard's loss and duplicate accounting
// is exact on its own and every latency is measured on one clock, the
// publisher's and the receiver's process being the same.

#include <cstdint>
#include <string>

#include "bench/options.h"
#include "common/result.h"

namespace cable::bench {

struct ShardSpec {
  int index = 1;  // 1-based
  int count = 1;
};

// Refuses more shards than this: a typo, not a deployment.
inline constexpr int kMaxShards = 10000;

// "I/N", or "auto/N" and "/N" taking I from `job_index` (Kubernetes'
// JOB_COMPLETION_INDEX, 0-based; null when unset). The Error is a usage
// sentence naming the flag.
Result<ShardSpec> ParseShard(const std::string& text, const char* job_index);

// A wall-clock time as RFC 3339 ("2025-01-02T03:04:05Z", fractions and
// +hh:mm offsets allowed), unix seconds ("1735787045", "1735787045.5") or
// relative to `now_unix_ns` ("+10s", "+2m"). Unix nanoseconds.
Result<int64_t> ParseStartAt(const std::string& text, int64_t now_unix_ns);

// A start time this far in the past is still accepted (clock skew, a slow
// process start); further back is a usage error.
inline constexpr int64_t kStartAtGraceNs = 2'000'000'000;

// RFC 3339 UTC with milliseconds: "2025-01-02T03:04:05.250Z".
std::string FormatUtcMillis(int64_t unix_ns);

// The share of `total` that slot `slot` of `slots` takes: total / slots,
// one more for the first total % slots slots, so the shares add up.
int64_t ShareOf(int64_t total, int64_t slot, int64_t slots);

// This shard's clients, and the global number of its `local`-th client.
int ShardClients(const BenchOptions& o);
inline int ShardClient(const BenchOptions& o, int local) {
  return (o.shard_index - 1) + local * o.shard_count;
}
// Whether this shard publishes to stream `k` (broadcast), and message `i`.
inline bool OwnsStream(const BenchOptions& o, int k) {
  return k % o.shard_count == o.shard_index - 1;
}
int OwnedStreams(const BenchOptions& o);

// Sets shard_index/shard_count and start_at_unix_ns from the flags' text
// (empty: not given); the shard index of "auto/N" comes from the
// JOB_COMPLETION_INDEX environment variable.
Status ApplyShardFlags(const std::string& shard, const std::string& start_at, BenchOptions& o);

// The checks --shard adds to Validate (options.cpp).
Status ValidateShard(const BenchOptions& o);

}  // namespace cable::bench
