#pragma once
// The memory all HTTP request bodies being read at once may take, across
// every connection of the node. A body is admitted for its announced size
// (Content-Length, or the per-body limit when chunked) before a byte of it
// is read, so a crowd of connections each announcing a large body is turned
// away (503) instead of being buffered. Thread-safe: connections of every
// worker share one budget.

#include <atomic>
#include <cstddef>
#include <utility>

namespace cable::server {

class BodyBudget {
 public:
  explicit BodyBudget(size_t limit) : limit_(limit) {}

  // Returned bytes go back to the budget when the reservation is destroyed.
  class Reservation {
   public:
    Reservation() = default;
    Reservation(BodyBudget* budget, size_t bytes) : budget_(budget), bytes_(bytes) {}
    Reservation(Reservation&& o) noexcept
        : budget_(std::exchange(o.budget_, nullptr)), bytes_(o.bytes_) {}
    Reservation& operator=(Reservation&& o) noexcept {
      if (this != &o) {
        Release();
        budget_ = std::exchange(o.budget_, nullptr);
        bytes_ = o.bytes_;
      }
      return *this;
    }
    ~Reservation() { Release(); }
    explicit operator bool() const { return budget_ != nullptr; }
    void Release() {
      if (budget_) std::exchange(budget_, nullptr)->used_.fetch_sub(bytes_);
    }

   private:
    BodyBudget* budget_ = nullptr;
    size_t bytes_ = 0;
  };

  // An empty reservation when `bytes` does not fit next to what is in use.
  // A limit of 0 means unlimited.
  Reservation TryReserve(size_t bytes) {
    size_t used = used_.load();
    do {
      if (limit_ > 0 && used + bytes > limit_) return {};
    } while (!used_.compare_exchange_weak(used, used + bytes));
    return Reservation(this, bytes);
  }

  size_t used() const { return used_.load(); }
  size_t limit() const { return limit_; }

 private:
  const size_t limit_;
  std::atomic<size_t> used_{0};
};

}  // namespace cable::server
