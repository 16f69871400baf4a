#pragma once
// State one scripted run shares between its loop threads: the script,
// per-metric send counters, the wait_all barrier and the broadcast
// publisher. Everything here is either immutable while clients run or an
// atomic / mutex-guarded counter touched on send paths only — the receive
// path reads nothing shared but the relaxed atomics of the step it measures.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bench/options.h"
#include "bench/script/script.h"

namespace cable::bench::script {

class ScriptDriver;
class ScriptPublisher;

// Flags of `cable bench run` beyond what every bench run has.
struct ScriptOptions {
  BenchOptions bench;        // target, threads, TLS, secrets, output
  std::string turbo_secret;  // signs !signed_turbo (default: the streams secret)
};

// One send metric's messages, across every client.
struct MetricState {
  std::atomic<int64_t> sent{0};             // written to a socket / published
  std::atomic<int64_t> send_failed{0};      // the connection was gone, or the publish failed
  std::atomic<int64_t> next_seq{0};         // stamps' numbers
  std::atomic<int64_t> pending_senders{0};  // clients that may still send it
  std::atomic<int64_t> last_send_ns{0};
};

// `wait_all`: every client still running reaches it before any goes on.
// A client that ends (done or failed) leaves the barrier, so the others do
// not wait for it.
class Barrier {
 public:
  explicit Barrier(int64_t participants) : participants_(participants) {}
  // `release(generation)` runs (on the completing thread) when every
  // participant has arrived at `generation`.
  void OnRelease(std::function<void(int64_t)> release) { release_ = std::move(release); }
  // The generation the caller waits for.
  int64_t Arrive();
  void Leave();

 private:
  void ReleaseIfComplete(std::unique_lock<std::mutex>& lock);

  std::mutex mu_;
  int64_t participants_;
  int64_t arrived_ = 0;
  int64_t generation_ = 0;
  std::function<void(int64_t)> release_;
};

class ScriptShared {
 public:
  ScriptShared(const Script& script, const ScriptOptions& options);

  const Script& script() const { return script_; }
  const ScriptOptions& options() const { return options_; }
  const std::string& run_id() const { return run_id_; }
  int64_t started_unix_s() const { return started_unix_s_; }
  MetricState& metric(int m) { return metrics_[static_cast<size_t>(m)]; }
  Barrier& barrier() { return barrier_; }

  // Loops register their drivers before any client starts.
  void AddDriver(ScriptDriver* driver);
  void set_publisher(ScriptPublisher* p) { publisher_ = p; }
  ScriptPublisher* publisher() const { return publisher_; }

  // The group of global client `client`, and its index within the group.
  std::pair<int, int> GroupOf(int64_t client) const;

  // No client will send metric `m` any more and nothing is queued for it.
  bool SendsOver(int m) const;

  std::atomic<int64_t> clients_done{0};

 private:
  const Script& script_;
  const ScriptOptions& options_;
  std::string run_id_;
  int64_t started_unix_s_ = 0;
  std::unique_ptr<MetricState[]> metrics_;
  Barrier barrier_;
  std::mutex drivers_mu_;
  std::vector<ScriptDriver*> drivers_;
  ScriptPublisher* publisher_ = nullptr;
  std::vector<int64_t> group_first_;
};

}  // namespace cable::bench::script
