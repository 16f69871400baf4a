#include "common/net/free_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <random>

namespace cable::net {

namespace {

constexpr int kLowest = 10000;

// The first port of the ephemeral range (32768 on Linux by default).
int EphemeralLow() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0, high = 0;
  if (in >> low >> high) return low;
  return 32768;
}

// Binds 127.0.0.1:port (0: any); returns the bound port or -1.
int TryBind(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  int bound = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      bound = ntohs(addr.sin_port);
  }
  close(fd);
  return bound;
}

}  // namespace

Result<int> FreeLoopbackPort() {
  const int high = EphemeralLow() - 1;
  if (high > kLowest + 1000) {
    static thread_local std::mt19937 rng(std::random_device{}());
    std::uniform_int_distribution<int> pick(kLowest, high);
    for (int attempt = 0; attempt < 200; ++attempt) {
      if (int port = TryBind(pick(rng)); port > 0) return port;
    }
  }
  // No room below the ephemeral range: let the kernel choose.
  if (int port = TryBind(0); port > 0) return port;
  return Error{"port", "no free TCP port on 127.0.0.1"};
}

}  // namespace cable::net
