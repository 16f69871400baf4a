#pragma once
// A throwaway nats-server for integration tests and a synchronous subscriber.
// The server listens on 127.0.0.1 on a free port and is killed when the
// object goes out of scope.
//
//   NatsServer nats;
//   NatsSubscriber sub(nats.url(), "__anycable__");   // subscription flushed
//   ... publish ...
//   auto msg = sub.Next();                            // payload, or nullopt on timeout
//
// Failures to start or connect throw std::runtime_error (a test failure).

#include <chrono>
#include <optional>
#include <string>

#include "support/process.h"

typedef struct __natsConnection natsConnection;
typedef struct __natsSubscription natsSubscription;

namespace cable::testing {

class NatsServer {
 public:
  // True when nats-server can be found on PATH; tests GTEST_SKIP otherwise.
  static bool Available();

  // `jetstream`: with JetStream enabled, its storage in a fresh temporary
  // directory (removed with the object).
  explicit NatsServer(bool jetstream = false);
  ~NatsServer();
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  int port() const { return port_; }
  // "nats://127.0.0.1:<port>".
  std::string url() const;

  void Stop();
  // Stop() if running, then start again on the same port.
  void Restart();

 private:
  void Start();
  int port_ = 0;
  std::string jetstream_dir_;
  ChildProcess process_;
};

// A subscriber on one subject (wildcards allowed). The subscription is known
// to the server when the constructor returns.
class NatsSubscriber {
 public:
  NatsSubscriber(const std::string& url, const std::string& subject);
  ~NatsSubscriber();
  NatsSubscriber(const NatsSubscriber&) = delete;
  NatsSubscriber& operator=(const NatsSubscriber&) = delete;

  // The next message's payload, or nullopt if none arrives within `timeout`.
  std::optional<std::string> Next(std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  natsConnection* conn_ = nullptr;
  natsSubscription* sub_ = nullptr;
};

}  // namespace cable::testing
