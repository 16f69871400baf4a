#pragma once
// A channel or connection state (StateMap) that costs one pointer while it
// is empty. Most connections and subscriptions never get any state, and at
// ten thousand idle clients an empty std::map per subscription (48 bytes)
// is a measurable part of what a client costs.

#include <memory>
#include <string>

#include "server/controller/controller.h"

namespace cable::server {

class LazyState {
 public:
  LazyState() = default;
  // Implicit: a StateMap literal initialises a LazyState.
  LazyState(StateMap state) {  // NOLINT(google-explicit-constructor)
    if (!state.empty()) map_ = std::make_unique<StateMap>(std::move(state));
  }
  LazyState(const LazyState& other) : LazyState(other.get()) {}
  LazyState& operator=(const LazyState& other) {
    if (this != &other) *this = LazyState(other);
    return *this;
  }
  LazyState(LazyState&&) noexcept = default;
  LazyState& operator=(LazyState&&) noexcept = default;

  const StateMap& get() const { return map_ ? *map_ : Empty(); }
  bool empty() const { return !map_; }
  // anycable's merge rule (an empty value deletes the key); an emptied
  // state gives its memory back.
  void Merge(const StateMap& changes) {
    if (changes.empty()) return;
    if (!map_) map_ = std::make_unique<StateMap>();
    MergeState(*map_, changes);
    if (map_->empty()) map_.reset();
  }

 private:
  static const StateMap& Empty() {
    static const StateMap empty;
    return empty;
  }

  std::unique_ptr<StateMap> map_;
};

}  // namespace cable::server
