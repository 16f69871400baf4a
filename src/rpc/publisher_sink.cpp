#include "rpc/publisher_sink.h"

#include <mutex>

#include "common/log.h"

namespace cable::rpc {

BroadcastSink MakePublisherSink(std::unique_ptr<broadcast::Publisher> publisher) {
  struct Shared {
    std::mutex mu;
    std::unique_ptr<broadcast::Publisher> publisher;
  };
  auto shared = std::make_shared<Shared>();
  shared->publisher = std::move(publisher);
  return [shared](const std::string& body) {
    Status s;
    {
      std::lock_guard<std::mutex> lock(shared->mu);
      s = shared->publisher->PublishRaw(body);
    }
    if (!s.ok()) {
      log::Warn("rpc: broadcast failed ({}): {}", s.error().code, s.error().message);
    } else {
      log::Debug("rpc: broadcast {}", body);
    }
  };
}

}  // namespace cable::rpc
