#pragma once
// The publishing side of the broadcast scenario: one thread that emits
// numbered, timestamped messages on a schedule (a steady rate or bursts)
// through a server's broadcast adapter (HTTP, Redis, Redis Streams, NATS),
// or by asking one subscribed client per stream to `perform broadcast`.
//
// Rate mode is open loop: message i is due at t0 + i/rate and carries that
// due time as its timestamp even when it leaves late, so a publisher or
// server stall shows up in the latency instead of silently thinning the
// load (coordinated omission). When behind, due messages are coalesced into
// batch publications (up to --publish-batch) to catch up. Burst mode sends
// each burst back to back; a message is stamped when its request is sent.
//
// Messages go round-robin over the streams; each stream numbers its own
// messages 0, 1, 2, ... so every subscriber can check it got each exactly
// once. A shard publishes only to its own streams (shard.h).

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/loop.h"
#include "common/broadcast/publisher.h"

namespace cable::bench {

struct Sender {
  Loop* loop = nullptr;
  Connection* connection = nullptr;
};

class Broadcaster {
 public:
  // `senders` (one per stream) is used only with --publish perform.
  Broadcaster(RunShared& shared, std::vector<Sender> senders);
  ~Broadcaster();

  // Connects the adapter publisher (not for perform); the Error says what
  // is unreachable or misconfigured.
  Status Prepare();
  void Start(int64_t t0_ns, int64_t end_ns);
  void Stop();
  bool done() const { return done_.load(); }
  pthread_t native_thread() { return thread_.native_handle(); }
  bool running() const { return thread_.joinable(); }

  int64_t attempted() const { return attempted_.load(); }
  int64_t failed() const { return failed_.load(); }
  int64_t late() const { return late_.load(); }
  int64_t requests() const { return requests_.load(); }
  int64_t max_lag_ns() const { return max_lag_ns_.load(); }
  int64_t finished_ns() const { return finished_ns_.load(); }
  // CPU the publishing thread used (valid once done()).
  double cpu_s() const { return static_cast<double>(cpu_ns_.load()) / 1e9; }
  std::string last_error();

 private:
  void Run(int64_t t0_ns, int64_t end_ns);
  int64_t Due(int64_t i, int64_t t0_ns) const;
  void Fail(int64_t n, const std::string& message);

  RunShared& shared_;
  std::vector<Sender> senders_;
  std::unique_ptr<broadcast::Publisher> publisher_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  std::atomic<int64_t> attempted_{0}, failed_{0}, late_{0}, requests_{0}, max_lag_ns_{0},
      finished_ns_{0}, cpu_ns_{0};
  std::mutex error_mu_;
  std::string last_error_;
};

}  // namespace cable::bench
