#pragma once
// A deliberately tiny Action Cable server for `cable bench` tests: it speaks
// just enough of the protocol (upgrade, welcome, subscribe -> confirm,
// perform `broadcast`, HTTP POST /_broadcast) to be benchmarked, and can be
// told to lose or duplicate one delivery so the tests can check that the
// benchmark notices. One thread, poll(), blocking writes: fine for the few
// hundred clients a test uses.

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cable::testing {

struct FakeFault {
  enum Kind { kNone, kDrop, kDuplicate } kind = kNone;
  int broadcast = 0;   // which broadcast (0-based, in arrival order)
  int subscriber = 0;  // which subscriber (0-based, in subscription order)
};

class FakeCableServer {
 public:
  explicit FakeCableServer(FakeFault fault = {});
  ~FakeCableServer();
  int port() const { return port_; }
  int broadcasts() const { return broadcasts_.load(); }

 private:
  struct Peer {
    int fd = -1;
    std::string in;
    bool websocket = false;
    std::string identifier;  // subscribed identifier, empty until subscribed
  };
  void Run();
  void OnReadable(Peer& p);
  bool HandleHttp(Peer& p);
  void HandleFrames(Peer& p);
  void HandleCommand(Peer& p, const std::string& text);
  void Broadcast(const std::string& data);
  void SendText(Peer& p, const std::string& text);
  void Close(Peer& p);

  FakeFault fault_;
  int listen_fd_ = -1;
  int port_ = 0;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  std::atomic<int> broadcasts_{0};
  std::vector<Peer> peers_;
  std::vector<int> subscribers_;  // indexes into peers_, in subscription order
  std::thread thread_;
};

}  // namespace cable::testing
