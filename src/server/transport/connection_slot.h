#pragma once
// One --max-conn slot, held by a connection and then by its session; the
// slot is given back when the holder drops it. Move-only and allocation
// free: a shared handle on the listener, not a control block of its own
// for every connection.

#include <memory>

namespace cable::server {

class Listener;

class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  explicit ConnectionSlot(std::shared_ptr<Listener> listener) : listener_(std::move(listener)) {}
  ConnectionSlot(ConnectionSlot&&) noexcept = default;
  ConnectionSlot& operator=(ConnectionSlot&& other) noexcept {
    if (this != &other) {
      Release();
      listener_ = std::move(other.listener_);
    }
    return *this;
  }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot() { Release(); }

 private:
  void Release();  // listener.cpp

  std::shared_ptr<Listener> listener_;
};

}  // namespace cable::server
