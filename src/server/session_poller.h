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
// it has not consumed yet). A connection still reading its HTTP request is
// watched the same way; when the request is an upgrade its registration is
// handed to the session (one EPOLL_CTL_MOD) rather than removed and added
// again. Worker-thread only.

#include <sys/epoll.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>

namespace cable::server {

class Session;
class HttpConnection;

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
  bool Add(int fd, HttpConnection* connection);
  // A descriptor added for its HTTP connection now reports to its session.
  bool Retarget(int fd, Session* session);
  // No event for the descriptor is reported after this. Closing the
  // descriptor does the same without a call.
  void Remove(int fd);

 private:
  void Wait();
  void Drain();
  bool Control(int op, int fd, uint64_t target);

  int epoll_fd_;
  boost::asio::posix::stream_descriptor watch_;
};

}  // namespace cable::server
