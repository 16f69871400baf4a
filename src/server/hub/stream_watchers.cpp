#include "server/hub/stream_watchers.h"

#include <algorithm>

namespace cable::server {

bool StreamWatchers::Add(const std::string& stream, StreamWatcher* watcher) {
  auto& list = by_stream_[stream];
  list.push_back(watcher);
  ++count_;
  return list.size() == 1;
}

bool StreamWatchers::Remove(const std::string& stream, StreamWatcher* watcher) {
  auto it = by_stream_.find(stream);
  if (it == by_stream_.end()) return false;
  auto& list = it->second;
  auto pos = std::find(list.begin(), list.end(), watcher);
  if (pos == list.end()) return false;
  list.erase(pos);
  --count_;
  if (!list.empty()) return false;
  by_stream_.erase(it);
  return true;
}

void StreamWatchers::Deliver(const BroadcastPtr& broadcast) {
  auto it = by_stream_.find(broadcast->stream);
  if (it == by_stream_.end()) return;
  // A copy: watchers leave the registry from inside the call.
  const std::vector<StreamWatcher*> watchers = it->second;
  for (StreamWatcher* w : watchers) {
    // Still registered? (an earlier one in this pass may have removed it)
    auto now = by_stream_.find(broadcast->stream);
    if (now == by_stream_.end()) return;
    if (std::find(now->second.begin(), now->second.end(), w) == now->second.end()) continue;
    w->OnBroadcast(broadcast);
  }
}

void StreamWatchers::ShutdownAll() {
  std::vector<StreamWatcher*> all;
  all.reserve(count_);
  for (const auto& [stream, list] : by_stream_) all.insert(all.end(), list.begin(), list.end());
  for (StreamWatcher* w : all) w->OnShutdown();
}

}  // namespace cable::server
