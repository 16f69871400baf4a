#pragma once
// Readiness of a worker's session sockets through an epoll instance of the
// worker's own, watched as one descriptor by the worker's io_context.
//
// Why not Boost.Asio's reactor for each socket: it keeps a descriptor record
// (≈ 170 B) and, while a session waits to read, a wait operation (≈ 120 B)
// in the heap for every socket. An idle session would pay about as much for
// them as for everything else it holds. Here a session costs the kernel's
// epoll entry and nothing in the heap, and a readiness event is one pointer
// dereference instead of an operation queued and completed.
//
// Sockets are registered once, edge-triggered for input and output (the
// kernel reports new data and freed send space; the session remembers what
// it has not consumed yet). Worker-thread only.

#include <sys/epoll.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>

namespace cable::server {

class Session;

class SessionPoller {
 public:
  explicit SessionPoller(boost::asio::io_context& context);
  ~SessionPoller();
  SessionPoller(const SessionPoller&) = delete;
  SessionPoller& operator=(const SessionPoller&) = delete;

  // Starts waiting for events (on the worker's thread, or before it runs).
  void Start();
  // False (errno set) when the kernel refuses the registration.
  bool Add(int fd, Session* session);
  // Before the descriptor is closed: no event for it is reported after.
  void Remove(int fd);

 private:
  void Wait();
  void Drain();

  int epoll_fd_;
  boost::asio::posix::stream_descriptor watch_;
};

}  // namespace cable::server
