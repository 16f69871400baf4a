#pragma once
// Shared by the tests of the Redis/NATS broadcast adapters and of the
// node-to-node pub/sub: running `cable broadcast`, and waiting for states
// that announce themselves by no event (a subscription registered in Redis,
// a NATS subscription live end to end). Every wait has a deadline.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "server/server_test_helpers.h"
#include "support/cable_broadcast.h"
#include "support/process.h"
#include "support/redis_server.h"

namespace cable::testing {

inline constexpr std::chrono::milliseconds kStateTimeout{15000};

// Polls `done` until it holds or `timeout` passes. Only for states that
// emit no event to wait on.
inline bool PollUntil(const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = kStateTimeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// PUBSUB NUMSUB <channel>.
inline int64_t NumSub(const RedisServer& redis, const std::string& channel) {
  auto reply = redis.Command({"PUBSUB", "NUMSUB", channel});
  if (!reply.is_array() || reply.size() != 2 || !reply[1].is_number()) return -1;
  return reply[1].get<int64_t>();
}

inline ::testing::AssertionResult HasSubscribers(const RedisServer& redis,
                                                 const std::string& channel, int64_t count) {
  if (PollUntil([&] { return NumSub(redis, channel) == count; })) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "Redis channel " << channel << " has " << NumSub(redis, channel)
         << " subscribers, expected " << count;
}

// True once consumer group `group` exists on `stream`.
inline bool HasGroup(const RedisServer& redis, const std::string& stream,
                     const std::string& group = "bx") {
  auto reply = redis.Command({"XINFO", "GROUPS", stream});
  if (!reply.is_array()) return false;
  for (const auto& g : reply) {
    for (size_t i = 0; g.is_array() && i + 1 < g.size(); i += 2) {
      if (g[i] == "name" && g[i + 1] == group) return true;
    }
  }
  return false;
}

// A node publishes to the Redis pub/sub (rather than to its own clients
// only) once its publisher connection is up, which it logs.
inline ::testing::AssertionResult RedisPublisherReady(CableServer& node) {
  if (node.process().WaitForOutput("Redis pub/sub publisher: connected to", kStateTimeout)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no Redis publisher:\n" << node.process().Stderr();
}

// What a subscriber of `identifier` receives for a broadcast of `message`.
inline Json Received(const std::string& identifier, const Json& message) {
  return {{"identifier", identifier}, {"message", message}};
}

// Makes sure `clients` (all subscribed to `identifier`) receive what
// `publish` sends, when no subscription count can be observed (NATS):
// publishes probes until every client has seen one, then a marker that
// every client reads up to. The messages other than probes and markers
// read on the way are appended to `seen` (one list per client) if given.
inline ::testing::AssertionResult WarmUp(const std::vector<ws::Client*>& clients,
                                         const std::string& identifier,
                                         const std::function<void(const Json&)>& publish,
                                         std::vector<std::vector<Json>>* seen = nullptr) {
  static int round = 0;
  ++round;
  if (seen) seen->assign(clients.size(), {});
  int probe = 0;
  const auto deadline = std::chrono::steady_clock::now() + kStateTimeout;
  for (size_t i = 0; i < clients.size(); ++i) {
    bool got = false;
    while (!got && std::chrono::steady_clock::now() < deadline) {
      publish({{"probe", ++probe}});
      auto m = NextMessage(*clients[i], std::chrono::milliseconds(100));
      while (m.ok() && !got) {
        const Json message = m->value("message", Json());
        if (message.is_object() && message.contains("probe")) {
          got = true;
        } else if (seen) {
          (*seen)[i].push_back(m->value("message", Json()));
        }
        if (!got) m = NextMessage(*clients[i], std::chrono::milliseconds(100));
      }
    }
    if (!got) return ::testing::AssertionFailure() << "client " << i << " never got a probe";
  }
  const Json marker{{"marker", round}};
  publish(marker);
  for (size_t i = 0; i < clients.size(); ++i) {
    for (;;) {
      auto m = NextMessage(*clients[i]);
      if (!m.ok()) {
        return ::testing::AssertionFailure()
               << "client " << i << " did not get the marker: " << m.error().message;
      }
      const Json message = m->value("message", Json());
      if (message == marker) break;
      if (seen && !(message.is_object() && message.contains("probe"))) {
        (*seen)[i].push_back(message);
      }
    }
  }
  return ::testing::AssertionSuccess();
}

// Reads `count` broadcasts and returns their `n` fields in arrival order
// (-1 for a message without one); stops early on a timeout.
inline std::vector<int> ReceiveNumbers(ws::Client& client, size_t count) {
  std::vector<int> out;
  while (out.size() < count) {
    auto m = NextMessage(client);
    if (!m.ok()) break;
    const Json message = m->value("message", Json());
    out.push_back(message.is_object() ? message.value("n", -1) : -1);
  }
  return out;
}

inline std::vector<int> Range(int first, int last) {
  std::vector<int> out;
  for (int i = first; i <= last; ++i) out.push_back(i);
  return out;
}

}  // namespace cable::testing
