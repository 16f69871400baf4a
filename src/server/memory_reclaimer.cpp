#include "server/memory_reclaimer.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>

#include "common/log.h"

namespace cable::server {

namespace {
constexpr auto kInterval = std::chrono::seconds(2);
constexpr size_t kMinDrop = 1024;
}  // namespace

void MemoryReclaimer::TuneAllocator() {
  // Setting the threshold explicitly also turns off glibc's dynamic
  // adjustment of it (and of the trim threshold).
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
}

bool MemoryReclaimer::ShouldTrim(size_t peak, size_t now) {
  if (now >= peak) return false;
  const size_t drop = peak - now;
  return drop >= kMinDrop && drop >= peak / 4;
}

MemoryReclaimer::MemoryReclaimer(std::function<Sample()> sample) : sample_(std::move(sample)) {}

MemoryReclaimer::~MemoryReclaimer() {
  Stop();
}

void MemoryReclaimer::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void MemoryReclaimer::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MemoryReclaimer::Run() {
  size_t peak = 0;
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, kInterval, [this] { return stop_; })) {
    const Sample s = sample_();
    const size_t now = s.now;
    peak = std::max({peak, s.peak, now});
    if (!ShouldTrim(peak, now)) continue;
    lock.unlock();
    const auto start = std::chrono::steady_clock::now();
    malloc_trim(0);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    log::Debug("Returned free memory to the system: clients {} -> {}, took {} ms", peak, now, ms);
    peak = now;
    lock.lock();
  }
}

}  // namespace cable::server
