#pragma once
// A deliberately tiny Action Cable server for `cable bench` tests: it speaks
// just enough of the protocol (upgrade, welcome, subscribe -> confirm,
// perform `broadcast`, HTTP POST /_broadcast) to be benchmarked, and can be
// told to lose or duplicate one delivery so the tests can check that the
// benchmark notices. With `reliable` it also has reliable streams as
// `cable serve --broker memory` does (one stream, "all"): positions on
// every broadcast, sessions restored by ?sid=, and `history` (also along
// with subscribe), with faults of their own, and known delays for timing
// the reconnect. Presence as `cable serve` has it on one node (join, leave,
// subscribe carrying presence, the `presence` query; no TTL), with faults
// on one event. One thread, poll(), blocking writes: fine for the few
// hundred clients a test uses.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace cable::testing {

struct FakeFault {
  enum Kind {
    kNone,
    kDrop,
    kDuplicate,
    kNewEpoch,    // reliable: from `broadcast` on, a new epoch (offsets from 1)
    kSkipReplay,  // reliable: every history replay leaves out its first message
    // reliable: a restored session gets the latest broadcast right after its
    // welcome, as if live, ahead of the replay that then repeats it
    kLiveBeforeReplay,
    // presence: the `broadcast`-th event (join or leave, 0-based) is not
    // sent to the `subscriber`-th subscriber / sent to it twice / carries
    // other info (a join) / is followed by a leave of a member still there
    kPresenceDrop,
    kPresenceDuplicate,
    kPresenceBadInfo,
    kPresenceGhostLeave,
  } kind = kNone;
  int broadcast = 0;      // which broadcast or presence event (0-based, in arrival order)
  int subscriber = 0;     // which subscriber (0-based, in subscription order)
  bool reliable = false;  // positions, sessions and history (see above)
  // reliable: confirm_history leaves this long after the replay (which is
  // sent at once); a restored session's welcome this long after the upgrade.
  int confirm_history_delay_ms = 0;
  int restore_welcome_delay_ms = 0;
};

class FakeCableServer {
 public:
  explicit FakeCableServer(FakeFault fault = {});
  ~FakeCableServer();
  int port() const { return port_; }
  int broadcasts() const { return broadcasts_.load(); }
  // When each restored session was welcomed, in seconds since the server started.
  std::vector<double> restore_times_s() const;

 private:
  struct Peer {
    int fd = -1;
    std::string in;
    bool websocket = false;
    std::string identifier;   // subscribed identifier, empty until subscribed
    std::string presence_id;  // joined as, empty when not a member
    nlohmann::json presence_info;
  };
  struct Stored {
    uint64_t offset;
    std::string data;
  };
  struct Deferred {
    std::chrono::steady_clock::time_point due;
    std::function<void()> run;
  };
  void Run();
  // Runs `fn` on the server thread `ms` from now.
  void Later(int ms, std::function<void()> fn);
  // Milliseconds until the next deferred action (at most `cap`); runs the due ones.
  int RunDue(int cap);
  void OnReadable(Peer& p);
  bool HandleHttp(Peer& p);
  void HandleFrames(Peer& p);
  void HandleCommand(Peer& p, const std::string& text);
  void Welcome(Peer& p, const std::string& head);
  // peers_[self] takes over the subscription of peers_[old] and is welcomed.
  void Restore(size_t self, size_t old);
  void Subscribe(Peer& p);
  void History(Peer& p, const std::string& identifier, const nlohmann::json& request);
  std::string DataMessage(const Peer& p, const std::string& data, uint64_t offset) const;
  void Broadcast(const std::string& data);
  // Joins `p` as `presence` ({"id","info"}) / takes it out, telling every
  // subscriber; answers a `presence` query.
  void Join(Peer& p, const nlohmann::json& presence);
  void Leave(Peer& p);
  void PresenceEvent(const std::string& identifier, nlohmann::json message);
  void PresenceInfo(Peer& p, const std::string& identifier);
  void SendText(Peer& p, const std::string& text);
  void Close(Peer& p);

  FakeFault fault_;
  int listen_fd_ = -1;
  int port_ = 0;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  std::atomic<int> broadcasts_{0};
  int presence_events_ = 0;
  std::vector<Peer> peers_;
  std::vector<int> subscribers_;  // indexes into peers_, in subscription order
  std::string epoch_ = "ep1";
  uint64_t offset_ = 0;          // of the latest broadcast
  std::vector<Stored> history_;  // every broadcast of the current epoch
  std::vector<Deferred> deferred_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  mutable std::mutex restores_mu_;
  std::vector<double> restore_times_s_;  // guarded by restores_mu_
  std::thread thread_;
};

}  // namespace cable::testing
