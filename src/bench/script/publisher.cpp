#include "bench/script/publisher.h"

#include <time.h>

#include "bench/clock.h"

namespace cable::bench::script {

namespace {
int64_t ThreadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
}  // namespace

ScriptPublisher::ScriptPublisher(ScriptShared& shared, broadcast::PublisherConfig config)
    : shared_(shared), config_(std::move(config)) {}

ScriptPublisher::~ScriptPublisher() {
  Stop();
}

Status ScriptPublisher::Prepare() {
  auto p = broadcast::MakePublisher(config_);
  if (!p.ok()) return p.error();
  publisher_ = std::move(*p);
  return Status::Ok();
}

void ScriptPublisher::Start() {
  thread_ = std::thread([this] { Run(); });
}

void ScriptPublisher::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ScriptPublisher::Post(int metric, std::string body) {
  pending_.fetch_add(1, std::memory_order_acq_rel);
  {
    std::lock_guard lock(mu_);
    queue_.emplace_back(metric, std::move(body));
  }
  cv_.notify_one();
}

std::string ScriptPublisher::last_error() {
  std::lock_guard lock(mu_);
  return last_error_;
}

void ScriptPublisher::Run() {
  while (true) {
    std::pair<int, std::string> item;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) break;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    MetricState& m = shared_.metric(item.first);
    Status st = publisher_->PublishRaw(item.second);
    if (st.ok()) {
      m.sent.fetch_add(1, std::memory_order_relaxed);
      m.last_send_ns.store(NowNs(), std::memory_order_relaxed);
    } else {
      m.send_failed.fetch_add(1, std::memory_order_relaxed);
      std::lock_guard lock(mu_);
      last_error_ = st.error().message;
    }
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
  cpu_ns_.store(ThreadCpuNs());
}

}  // namespace cable::bench::script
