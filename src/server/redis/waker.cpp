#include "server/redis/waker.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>

namespace cable::server {

Waker::Waker() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::runtime_error("eventfd failed");
}

Waker::~Waker() {
  if (fd_ >= 0) close(fd_);
}

void Waker::Notify() {
  const uint64_t one = 1;
  // A full counter (EAGAIN) already means "woken".
  [[maybe_unused]] ssize_t n = write(fd_, &one, sizeof one);
}

void Waker::Drain() {
  uint64_t value;
  [[maybe_unused]] ssize_t n = read(fd_, &value, sizeof value);
}

bool Waker::WaitFor(std::chrono::milliseconds timeout) const {
  pollfd p{fd_, POLLIN, 0};
  int rc;
  do {
    rc = poll(&p, 1, static_cast<int>(timeout.count()));
  } while (rc < 0 && errno == EINTR);
  return rc > 0;
}

}  // namespace cable::server
