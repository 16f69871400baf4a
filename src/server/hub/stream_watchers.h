#pragma once
// One worker's listeners for streams that are not sessions: Durable
// Streams requests waiting for a stream's next message. They are kept out
// of the hub (whose groups share one encoded frame between sessions) so
// the sessions' path does not change: a worker with no watchers pays one
// empty() check per broadcast. Touched only by its worker thread.

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/hub/broadcast.h"

namespace cable::server {

class StreamWatcher {
 public:
  // Each may remove the watcher (or others) from the registry.
  virtual void OnBroadcast(const BroadcastPtr& broadcast) = 0;
  // The server is shutting down.
  virtual void OnShutdown() = 0;

 protected:
  ~StreamWatcher() = default;
};

class StreamWatchers {
 public:
  // True when `stream` gained its first watcher on this worker (the node
  // then subscribes its pub/sub to it).
  bool Add(const std::string& stream, StreamWatcher* watcher);
  // True when `stream` lost its last watcher on this worker.
  bool Remove(const std::string& stream, StreamWatcher* watcher);

  void Deliver(const BroadcastPtr& broadcast);
  void ShutdownAll();

  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }

 private:
  std::unordered_map<std::string, std::vector<StreamWatcher*>> by_stream_;
  size_t count_ = 0;
};

}  // namespace cable::server
