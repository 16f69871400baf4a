#include "support/redis_sentinel.h"

#include <chrono>
#include <stdexcept>
#include <thread>

#include "support/redis_server.h"

namespace cable::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::seconds kFailoverDeadline{30};

// Sentinel's state changes announce themselves to no client we have: poll.
void Pause() {
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

}  // namespace

bool RedisSentinel::Available() {
  return Run({"/bin/sh", "-c", "command -v redis-sentinel"}, {}, std::chrono::seconds(5))
             .exit_code == 0;
}

RedisSentinel::RedisSentinel(const std::string& master_name, int master_port)
    : name_(master_name), port_(FreePort()) {
  const std::string m = " " + name_ + " ";
  const std::string config = dir_.Write(
      "sentinel.conf", "port " + std::to_string(port_) + "\nbind 127.0.0.1\ndir " + dir_.path() +
                           "\nsentinel monitor" + m + "127.0.0.1 " + std::to_string(master_port) +
                           " 1\nsentinel down-after-milliseconds" + m +
                           "1000\nsentinel failover-timeout" + m + "5000\nsentinel parallel-syncs" +
                           m + "1\n");
  process_ = ChildProcess({"redis-sentinel", config});
  if (!process_.WaitForOutput("+monitor master") || !WaitForPort(port_)) {
    throw std::runtime_error("redis-sentinel did not start on port " + std::to_string(port_) +
                             ": " + process_.Stdout() + process_.Stderr());
  }
}

RedisSentinel::~RedisSentinel() = default;

std::string RedisSentinel::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

nlohmann::json RedisSentinel::Command(const std::vector<std::string>& args) const {
  return RedisCommand(port_, args);
}

int RedisSentinel::MasterPort() const {
  auto reply = Command({"SENTINEL", "get-master-addr-by-name", name_});
  if (!reply.is_array() || reply.size() != 2 || !reply[1].is_string()) return 0;
  return std::stoi(reply[1].get<std::string>());
}

int RedisSentinel::Failover() {
  const int old = MasterPort();
  const auto deadline = Clock::now() + kFailoverDeadline;
  // Refused (NOGOODSLAVE) until the sentinel has seen a replica in sync.
  nlohmann::json reply;
  while ((reply = Command({"SENTINEL", "FAILOVER", name_})) != "OK") {
    if (Clock::now() > deadline) {
      throw std::runtime_error("SENTINEL FAILOVER refused: " + reply.dump());
    }
    Pause();
  }
  int now = old;
  while ((now = MasterPort()) == old || now == 0) {
    if (Clock::now() > deadline) throw std::runtime_error("no new master after the failover");
    Pause();
  }
  return now;
}

}  // namespace cable::testing
