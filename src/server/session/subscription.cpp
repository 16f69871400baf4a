#include "server/session/subscriptions.h"

// Subscription's own accessors, apart from the hub bookkeeping in
// subscriptions.cpp, so that the snapshot codec (and its fuzzer) needs
// nothing else.

namespace cable::server {

const std::string* Subscription::Named(bool on_stream, const char* key) const {
  if (on_stream && !streams.empty()) return &streams.front();
  auto it = istate.get().find(key);
  return it == istate.get().end() || it->second.empty() ? nullptr : &it->second;
}

StateMap Subscription::State() const {
  StateMap state = istate.get();
  if (streams.empty()) return state;
  if (whisper_on_stream) state["$w"] = streams.front();
  if (presence_on_stream) state["$p"] = streams.front();
  return state;
}

}  // namespace cable::server
