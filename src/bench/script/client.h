#pragma once
// One scripted client: a cursor walking its group's steps on its loop's
// thread, with the connection it drives and what it measured.
//
// A step either completes at once (a send) or leaves the client waiting —
// for a welcome, a confirmation, a frame, a timer, the barrier — and the
// event that ends the wait resumes the walk. Nothing blocks a thread.
//
// Receipts of a measured send ("speak → ...") are counted the moment they
// arrive, wherever the walk is: the stamp says which step and client sent
// the message and when, so the receive path is a scan, a bit test and a
// histogram increment — no JSON tree, no allocation. The receive step
// itself only waits until everything sent has arrived (or nothing has come
// for its timeout). Each client checks the pattern of a measured receive
// once, on its first receipt, so a wrong shape still fails the run.

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bench/script/script.h"
#include "bench/script/shared.h"
#include "conformance/value.h"

namespace cable::bench {
class Connection;
struct ScannedMessage;
}  // namespace cable::bench

namespace cable::bench::script {

class ScriptDriver;
struct Stamp;

// What one client got of one measured send step.
// Why a walk ended early: its connect failed, its connection was lost, or
// a step could not go on (rejected, timed out, nothing to send on).
enum class Ending { kConnect, kDrop, kStep };

struct ReceiptLog {
  std::vector<uint64_t> seen;  // bit per stamp number
  int64_t unique = 0, on_time = 0, late = 0, duplicates = 0, own = 0, mismatched = 0;
  bool checked = false;  // the pattern was checked on a receipt
};

class ScriptClient final : public conformance::RenderContext {
 public:
  ScriptClient(ScriptDriver& driver, Connection& connection, int group, int group_index);
  ScriptClient(const ScriptClient&) = delete;
  ScriptClient& operator=(const ScriptClient&) = delete;

  // Starts the walk at `at_ns` (the group's ramp slot).
  void Begin(int64_t at_ns);
  void Stop();

  // --- Connection hooks ---
  std::string UpgradeRequest() const { return upgrade_; }
  void OnWelcome();
  void OnMessage(std::string_view payload, const ScannedMessage& m);
  void OnEnded(std::string_view reason, bool handshaking);
  void ReleaseBarrier(int64_t generation);

  // --- RenderContext ---
  std::optional<conformance::Json> Variable(std::string_view name) const override;
  Result<std::string> Sign(std::string_view stream, conformance::SignKey key) const override;

  // --- After the run ---
  const Group& group() const { return group_spec_; }
  int64_t client() const { return client_; }
  int group_index() const { return group_index_; }
  bool connected_once() const { return connected_once_; }
  bool finished() const { return wait_ == Wait::kDone; }
  bool failed() const { return failed_; }
  const std::vector<ReceiptLog>& receipts() const { return receipts_; }
  // Messages of metric `m` this client sent (its own copies are not
  // expected back).
  int64_t own_sent(int m) const { return own_sent_[static_cast<size_t>(m)]; }

 private:
  enum class Wait {
    kNone,
    kStart,
    kConnect,
    kConfirm,
    kHistory,
    kReceive,
    kPaired,
    kSleep,
    kBarrier,
    kResuming,  // the step is done; the walk goes on from a posted handler
    kYield,     // between loop iterations, other work of the loop first
    kDone
  };
  enum class Started { kDone, kWaiting, kEntered };
  struct Frame {
    const std::vector<ScriptStep>* steps = nullptr;
    size_t pc = 0;
    const LoopSpec* loop = nullptr;
    int64_t iteration = 0;
    int64_t t0_ns = 0;
  };
  static constexpr int kMaxFrames = 6;

  // Runs steps until one waits or the walk ends.
  void Run();
  // Starts step `s`: done already, waiting (wait_ says for what), or a loop
  // entered.
  Started Start(const ScriptStep& s);
  Started StartConnect(const conformance::ConnectStep& a);
  Started StartReceive(const ReceiveSpec& r);
  // Sends the step's command; false when the client could not (and ended).
  bool Send(const ScriptStep& s);
  void AppendSpliced(std::string& out, const ScriptStep& s, const std::vector<std::string>& parts,
                     int64_t now);
  std::string Spliced(const ScriptStep& s, const std::vector<std::string>& parts, int64_t now);
  // Resumes the walk from a posted handler, not from inside a read.
  void ScheduleResume();
  // Goes on with the walk (at the current step) from a posted handler.
  void Yield();
  // The current step is done: on to the next.
  void Next();
  void Resume() {
    Next();
    Run();
  }
  // Ends the walk; `reason` non-empty when it failed.
  void Finish(std::string_view reason = {});
  // Counts why the walk ended early, and ends it.
  void Fail(std::string_view reason, Ending ending);
  // After the top-level step `index` the client sends no more of some metrics.
  void TopStepDone(size_t index);
  const ScriptStep& Current() const {
    const Frame& f = frames_[depth_];
    return (*f.steps)[f.pc];
  }
  void Arm(int64_t at_ns);
  void OnTimer();
  bool PairedDone(const ReceiveSpec& r) const;
  // Accounts a stamped delivery this client measures; false when it does
  // not measure that step (the frame is then an ordinary one).
  bool OnStamped(const Stamp& stamp, std::string_view payload, int64_t now);
  bool MatchFrame(const conformance::Pattern& p, bool exact, std::string_view payload);
  // The rendered command of a send step, split where its stamps go (cached:
  // rendering builds JSON trees, a send should not).
  const std::vector<std::string>* Prepared(const ScriptStep& s);
  Result<std::string> Render(const ScriptStep& s);
  Result<std::string> Identifier(const conformance::IdentifierSpec& id);
  void Record(int metric, int64_t ns);
  void Tally(int metric, bool ok);

  ScriptDriver& driver_;
  ScriptShared& shared_;
  Connection& conn_;
  const Group& group_spec_;
  int group_;
  int group_index_;
  int64_t client_;
  boost::asio::steady_timer timer_;
  uint64_t timer_gen_ = 0;

  Frame frames_[kMaxFrames];
  int depth_ = 0;
  size_t top_done_ = 0;  // top-level steps completed
  Wait wait_ = Wait::kNone;
  int64_t wait_started_ns_ = 0;
  int64_t wait_deadline_ns_ = 0;
  int64_t progress_ns_ = 0;  // paired receive: the last sign of life
  int matched_ = 0;
  int64_t barrier_generation_ = -1;
  int64_t due_ns_ = 0;  // start of the current timed loop iteration, for a send right at it
  bool connected_ = false;
  bool connected_once_ = false;
  bool failed_ = false;
  std::string upgrade_;

  std::map<std::string, conformance::Json, std::less<>> captures_;
  std::vector<std::pair<int, std::vector<std::string>>> prepared_;  // by step id
  std::vector<ReceiptLog> receipts_;                                // by the group's slot
  std::vector<int64_t> own_sent_;                                   // by metric
};

}  // namespace cable::bench::script
