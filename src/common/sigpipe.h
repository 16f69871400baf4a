#pragma once
// hiredis and OpenSSL write to sockets with write(2), which raises SIGPIPE
// when the peer has gone; by default that kills the process. Code that
// hands a socket to such a library calls this first, so the write fails
// with EPIPE instead. A handler the embedding program installed is kept.

#include <signal.h>

#include <mutex>

namespace cable {

inline void IgnoreSigpipeOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      signal(SIGPIPE, SIG_IGN);
    }
  });
}

}  // namespace cable
