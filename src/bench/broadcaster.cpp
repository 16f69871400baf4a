#include "bench/broadcaster.h"

#include <algorithm>

#include "bench/clock.h"
#include "bench/payload.h"

namespace cable::bench {

namespace {
// A message leaving more than this after its due time counts as late.
constexpr int64_t kLateNs = 1'000'000;
// Sleep in slices so Stop() is honoured promptly.
constexpr int64_t kSleepSliceNs = 50'000'000;
}  // namespace

Broadcaster::Broadcaster(RunShared& shared, std::vector<Sender> senders)
    : shared_(shared), senders_(std::move(senders)) {}

Broadcaster::~Broadcaster() {
  Stop();
}

Status Broadcaster::Prepare() {
  const BenchOptions& o = *shared_.options;
  if (o.publish_via == PublishVia::kPerform) return Status::Ok();
  broadcast::PublisherConfig config = o.publisher;
  config.adapter = PublishViaName(o.publish_via);
  auto p = broadcast::MakePublisher(config);
  if (!p.ok()) return p.error();
  publisher_ = std::move(*p);
  return Status::Ok();
}

void Broadcaster::Start(int64_t t0_ns, int64_t end_ns) {
  thread_ = std::thread([this, t0_ns, end_ns] { Run(t0_ns, end_ns); });
}

void Broadcaster::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

std::string Broadcaster::last_error() {
  std::lock_guard lock(error_mu_);
  return last_error_;
}

void Broadcaster::Fail(int64_t n, const std::string& message) {
  failed_.fetch_add(n);
  std::lock_guard lock(error_mu_);
  last_error_ = message;
}

int64_t Broadcaster::Due(int64_t i, int64_t t0_ns) const {
  const BenchOptions& o = *shared_.options;
  if (o.burst > 0) {
    return t0_ns +
           static_cast<int64_t>(static_cast<double>(i / o.burst) * o.burst_interval_s * 1e9);
  }
  return t0_ns + static_cast<int64_t>(static_cast<double>(i) * 1e9 / o.rate);
}

void Broadcaster::Run(int64_t t0_ns, int64_t end_ns) {
  const BenchOptions& o = *shared_.options;
  const Plan& plan = *shared_.plan;
  const auto streams = static_cast<int64_t>(plan.streams.size());
  const int64_t count = o.count > 0 ? o.count : INT64_MAX;
  std::vector<int64_t> next_seq(static_cast<size_t>(streams), 0);
  std::string data;
  std::vector<broadcast::Publication> batch;
  std::vector<int> batch_streams;

  // A shard publishes every shard_count-th message of the run, starting
  // with its own number: exactly the messages of the streams it owns
  // (shard.h), at the times one run would publish them.
  const int64_t step = o.shard_count;
  int64_t i = o.shard_index - 1;
  while (i < count && !stop_.load()) {
    int64_t due = Due(i, t0_ns);
    if (due >= end_ns) break;
    int64_t now = NowNs();
    if (due > now) {
      SleepUntilNs(std::min(due, now + kSleepSliceNs));
      continue;
    }
    int64_t lag = now - due;
    // Bursts are due all at once by definition; lag only means something
    // against a rate.
    if (o.burst == 0 && lag > max_lag_ns_.load()) max_lag_ns_.store(lag);

    if (o.publish_via == PublishVia::kPerform) {
      // One message at a time: the sender's loop serialises the writes, and
      // a post is cheap enough that batching buys nothing.
      auto stream = static_cast<size_t>(i % streams);
      int64_t seq = next_seq[stream]++;
      int64_t ts = o.burst > 0 ? NowNs() : due;
      if (o.burst == 0 && lag > kLateNs) late_.fetch_add(1);
      attempted_.fetch_add(1);
      const Sender& s = senders_[stream];
      if (s.loop && s.connection) {
        s.loop->PostPerform(s.connection, seq, ts);
      } else {
        Fail(1, "no subscribed client left on stream " + plan.streams[stream].name);
      }
      i += step;
      continue;
    }

    // Everything due by now (up to the batch limit) goes in one request.
    batch.clear();
    batch_streams.clear();
    int64_t j = i;
    int64_t ts = o.burst > 0 ? NowNs() : 0;
    while (j < count && static_cast<int>(batch.size()) < o.publish_batch) {
      int64_t due_j = Due(j, t0_ns);
      if (due_j > now || due_j >= end_ns) break;
      if (o.burst == 0 && now - due_j > kLateNs) late_.fetch_add(1);
      auto stream = static_cast<size_t>(j % streams);
      data.clear();
      AppendPayload(data, "", next_seq[stream]++, o.burst > 0 ? ts : due_j, o.payload_size,
                    o.payload_padding);
      batch.push_back({plan.streams[stream].name, data, std::nullopt});
      batch_streams.push_back(static_cast<int>(stream));
      j += step;
    }
    attempted_.fetch_add(static_cast<int64_t>(batch.size()));
    requests_.fetch_add(1);
    Status st = batch.size() == 1 ? publisher_->Publish(batch[0]) : publisher_->PublishBatch(batch);
    if (st.ok()) {
      for (int s : batch_streams) shared_.published[s].fetch_add(1, std::memory_order_relaxed);
    } else {
      // The numbers stay used: subscribers see a gap, but nobody expects
      // the message, so it is reported as a failed publish, not a loss.
      Fail(static_cast<int64_t>(batch.size()), st.error().code + ": " + st.error().message);
    }
    i = j;
  }
  finished_ns_.store(NowNs());
  timespec cpu{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
  cpu_ns_.store(static_cast<int64_t>(cpu.tv_sec) * 1'000'000'000 + cpu.tv_nsec);
  done_.store(true);
}

}  // namespace cable::bench
