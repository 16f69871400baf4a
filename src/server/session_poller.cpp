#include "server/session_poller.h"

#include <unistd.h>

#include <array>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <system_error>

#include "server/session/session.h"
#include "server/transport/http_connection.h"

namespace cable::server {

namespace {
constexpr int kBatch = 256;
// Events handled per wake-up before other work of the loop (timers,
// broadcasts, flushes) gets a turn.
constexpr int kMaxBatchesPerTurn = 8;
// The event's data word is the target's address; both kinds are at least
// 8-byte aligned, so the low bit tells an HTTP connection from a session.
constexpr uint64_t kHttpTag = 1;

uint64_t Word(const void* target) {
  return reinterpret_cast<uintptr_t>(target);
}
}  // namespace

SessionPoller::SessionPoller(boost::asio::io_context& context)
    : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)), watch_(context) {
  if (epoll_fd_ < 0) {
    throw std::system_error(errno, std::generic_category(), "epoll_create1 for the sessions");
  }
  watch_.assign(epoll_fd_);
}

SessionPoller::~SessionPoller() {
  boost::system::error_code ec;
  watch_.close(ec);  // closes epoll_fd_
}

void SessionPoller::Start() {
  Wait();
}

bool SessionPoller::Control(int op, int fd, uint64_t target) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = target;
  return ::epoll_ctl(epoll_fd_, op, fd, &ev) == 0;
}

bool SessionPoller::Add(int fd, Session* session) {
  return Control(EPOLL_CTL_ADD, fd, Word(session));
}

bool SessionPoller::Add(int fd, HttpConnection* connection) {
  static_assert(alignof(HttpConnection) > 1 && alignof(Session) > 1);
  return Control(EPOLL_CTL_ADD, fd, Word(connection) | kHttpTag);
}

// The kernel re-checks readiness on a modification, so what arrived
// while the request was being handled is reported to the session.
bool SessionPoller::Retarget(int fd, Session* session) {
  return Control(EPOLL_CTL_MOD, fd, Word(session));
}

void SessionPoller::Remove(int fd) {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

void SessionPoller::Wait() {
  watch_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                    [this](const boost::system::error_code& ec) {
                      if (ec) return;  // the worker is shutting down
                      Drain();
                    });
}

// The epoll instance's ready list is the truth; the io_context's wake-up is
// only a hint that it is not empty. So the list is drained to empty before
// waiting again — an event that arrives after that wakes the io_context
// anew — or, when the turn's budget is spent, continued after the loop's
// other work.
void SessionPoller::Drain() {
  std::array<epoll_event, kBatch> events;
  for (int round = 0; round < kMaxBatchesPerTurn; ++round) {
    const int n = ::epoll_wait(epoll_fd_, events.data(), kBatch, 0);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; ++i) {
      const uint64_t word = events[i].data.u64;
      if (word & kHttpTag) {
        reinterpret_cast<HttpConnection*>(word & ~kHttpTag)->OnEvents(events[i].events);
      } else {
        reinterpret_cast<Session*>(word)->OnEvents(events[i].events);
      }
    }
    if (n < kBatch) return Wait();
  }
  boost::asio::post(watch_.get_executor(), [this] { Drain(); });
}

}  // namespace cable::server
