#pragma once
// Publisher for AnyCable's NATS adapter: publishes the body on `subject`
// (default `__anycable__`) and flushes, so success means the server has the
// message. `servers` is a comma-separated list of nats:// URLs; the client
// fails over between them when connecting.
//
// libnats' own background reconnection is disabled: a message buffered while
// disconnected could be delivered long after the call reported failure.
// Instead a broken connection is dropped and the next call reconnects; a
// publish refused because the connection was already closed is retried once
// on a fresh connection. Connect and flush are bounded by `timeout`.

#include <chrono>
#include <string>
#include <vector>

#include "common/broadcast/publisher.h"

typedef struct __natsConnection natsConnection;

namespace cable::broadcast {

class NatsPublisher : public Publisher {
 public:
  NatsPublisher(std::vector<std::string> servers, std::string subject,
                std::chrono::milliseconds timeout);
  ~NatsPublisher() override;
  NatsPublisher(const NatsPublisher&) = delete;
  NatsPublisher& operator=(const NatsPublisher&) = delete;

  Status PublishRaw(const std::string& body) override;

 private:
  Status Connect();
  void Drop();

  std::vector<std::string> servers_;
  std::string subject_;
  std::chrono::milliseconds timeout_;
  natsConnection* conn_ = nullptr;
};

}  // namespace cable::broadcast
