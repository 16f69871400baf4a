#pragma once
// Wakes a thread that waits in poll(): an eventfd the thread polls next to
// its socket. Owner threads of blocking connections use it so that Stop()
// and new work cut a wait short instead of waiting out a timeout.

#include <chrono>

namespace cable::server {

class Waker {
 public:
  Waker();
  ~Waker();
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;

  int fd() const { return fd_; }
  // Thread-safe; wakes the poller until it calls Drain().
  void Notify();
  void Drain();
  // Waits up to `timeout`; true when woken (the notification is kept, so
  // the caller's next poll sees it too).
  bool WaitFor(std::chrono::milliseconds timeout) const;

 private:
  int fd_ = -1;
};

}  // namespace cable::server
