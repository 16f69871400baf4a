#include "bench/script/shared.h"

#include <boost/asio/post.hpp>
#include <ctime>

#include "bench/loop.h"
#include "bench/script/driver.h"
#include "bench/script/publisher.h"
#include "common/random_id.h"

namespace cable::bench::script {

int64_t Barrier::Arrive() {
  std::unique_lock lock(mu_);
  const int64_t generation = generation_;
  ++arrived_;
  ReleaseIfComplete(lock);
  return generation;
}

void Barrier::Leave() {
  std::unique_lock lock(mu_);
  --participants_;
  ReleaseIfComplete(lock);
}

void Barrier::ReleaseIfComplete(std::unique_lock<std::mutex>& lock) {
  if (arrived_ == 0 || arrived_ < participants_) return;
  const int64_t released = generation_++;
  arrived_ = 0;
  lock.unlock();
  if (release_) release_(released);
}

ScriptShared::ScriptShared(const Script& script, const ScriptOptions& options)
    : script_(script),
      options_(options),
      run_id_(RandomId(8)),
      started_unix_s_(static_cast<int64_t>(std::time(nullptr))),
      metrics_(std::make_unique<MetricState[]>(script.metrics.size() + 1)),
      barrier_(script.total_clients()) {
  for (size_t m = 0; m < script.metrics.size(); ++m)
    metrics_[m].pending_senders.store(script.metrics[m].senders);
  int64_t first = 0;
  for (const auto& g : script.groups) {
    group_first_.push_back(first);
    first += g.count;
  }
  barrier_.OnRelease([this](int64_t generation) {
    std::lock_guard lock(drivers_mu_);
    for (ScriptDriver* d : drivers_) {
      boost::asio::post(d->loop().io(), [d, generation] { d->ReleaseBarrier(generation); });
    }
  });
}

void ScriptShared::AddDriver(ScriptDriver* driver) {
  std::lock_guard lock(drivers_mu_);
  drivers_.push_back(driver);
}

std::pair<int, int> ScriptShared::GroupOf(int64_t client) const {
  int g = static_cast<int>(group_first_.size()) - 1;
  while (g > 0 && group_first_[static_cast<size_t>(g)] > client) --g;
  return {g, static_cast<int>(client - group_first_[static_cast<size_t>(g)])};
}

bool ScriptShared::SendsOver(int m) const {
  if (metrics_[static_cast<size_t>(m)].pending_senders.load(std::memory_order_acquire) > 0)
    return false;
  return !publisher_ || publisher_->idle();
}

}  // namespace cable::bench::script
