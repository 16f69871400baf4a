#include "server/worker.h"

#include <boost/asio/post.hpp>
#include <chrono>

#include "common/log.h"
#include "common/ws/frame.h"
#include "server/protocol/messages.h"
#include "server/session/session.h"

namespace cable::server {

namespace {
// Large enough for a maximal inbound frame plus header, and for gathering
// many queued frames into one send().
constexpr size_t kScratchSize = 256 * 1024;
// Sessions flushed per event-loop pass: a few milliseconds of sends.
constexpr size_t kFlushSlice = 64;

int64_t PingTimestamp(PingPrecision precision) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  switch (precision) {
    case PingPrecision::kMillis:
      return std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
    case PingPrecision::kNanos:
      return std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
    default:
      return std::chrono::duration_cast<std::chrono::seconds>(now).count();
  }
}
}  // namespace

Worker::Worker(int index) : index_(index), scratch_(kScratchSize) {
  rng_state_ = 0x9E3779B97F4A7C15ULL ^ (static_cast<uint64_t>(index) << 32) ^
               static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

Worker::~Worker() {
  Stop();
}

void Worker::Start() {
  guard_ =
      std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
          context_.get_executor());
  ArmTick();
  poller_.Start();
  thread_ = std::thread([this] {
    thread_id_ = std::this_thread::get_id();
    context_.run();
  });
}

void Worker::Stop() {
  if (!thread_.joinable()) return;
  guard_.reset();
  context_.stop();
  thread_.join();
}

void Worker::Deliver(BroadcastPtr broadcast) {
  bool was_empty;
  {
    std::lock_guard lock(inbox_mu_);
    was_empty = inbox_.empty();
    inbox_.push_back(std::move(broadcast));
  }
  // One wake-up per burst: later broadcasts ride along with the first.
  if (was_empty) boost::asio::post(context_, [this] { DrainInbox(); });
}

void Worker::DrainInbox() {
  std::vector<BroadcastPtr> batch;
  {
    std::lock_guard lock(inbox_mu_);
    batch.swap(inbox_);
  }
  for (const auto& b : batch) {
    deliveries_ += hub_.Deliver(*b);
    if (!watchers_.empty()) watchers_.Deliver(b);
  }
}

void Worker::MarkDirty(Session* session) {
  session->dirty_slot_ = static_cast<uint32_t>(dirty_.size());
  dirty_.push_back(session);
  if (!flush_posted_) {
    flush_posted_ = true;
    // Posted, not run inline: everything queued during this pass of the
    // event loop goes out together.
    boost::asio::post(context_, [this] { FlushDirty(); });
  }
}

void Worker::FlushDirty() {
  flush_posted_ = false;
  // A slice at a time, with a return to the event loop in between: input
  // that arrives meanwhile (the next broadcast of a burst, a client's
  // command) is handled before the rest is written, so sessions not yet
  // flushed take several frames in one send(). The busier the worker, the
  // more frames each write carries.
  const size_t end = std::min(dirty_.size(), dirty_head_ + kFlushSlice);
  while (dirty_head_ < end) {
    Session* s = dirty_[dirty_head_++];
    if (s == nullptr) continue;
    s->dirty_ = false;
    s->Flush();
  }
  if (dirty_head_ == dirty_.size()) {
    dirty_.clear();
    dirty_head_ = 0;
    return;
  }
  if (dirty_head_ > kFlushSlice && dirty_head_ * 2 > dirty_.size()) {
    dirty_.erase(dirty_.begin(), dirty_.begin() + static_cast<std::ptrdiff_t>(dirty_head_));
    dirty_head_ = 0;
    for (size_t i = 0; i < dirty_.size(); ++i) {
      if (dirty_[i] != nullptr) dirty_[i]->dirty_slot_ = static_cast<uint32_t>(i);
    }
  }
  flush_posted_ = true;
  boost::asio::post(context_, [this] { FlushDirty(); });
}

void Worker::Register(const std::shared_ptr<Session>& session) {
  session->registry_slot_ = static_cast<uint32_t>(sessions_.size());
  sessions_.push_back(session);
}

void Worker::Unregister(Session* session) {
  CancelPings(session);
  write_blocked_.erase(session);
  pong_due_.erase(session);
  if (session->dirty_ && session->dirty_slot_ < dirty_.size() &&
      dirty_[session->dirty_slot_] == session) {
    dirty_[session->dirty_slot_] = nullptr;
  }
  const uint32_t slot = session->registry_slot_;
  if (slot >= sessions_.size() || sessions_[slot].get() != session) return;
  if (retired_.empty()) boost::asio::post(context_, [this] { retired_.clear(); });
  retired_.push_back(std::move(sessions_[slot]));
  if (slot + 1 != sessions_.size()) {
    sessions_[slot] = std::move(sessions_.back());
    sessions_[slot]->registry_slot_ = slot;
  }
  sessions_.pop_back();
}

Worker::PingWheel& Worker::WheelFor(int interval_ms) {
  auto& wheel = wheels_[interval_ms];
  if (wheel.slots.empty()) {
    wheel.interval_ms = interval_ms;
    size_t n = static_cast<size_t>(std::max<int64_t>(1, interval_ms / kTick.count()));
    wheel.slots.resize(n);
  }
  return wheel;
}

void Worker::SchedulePings(Session* session, int interval_ms) {
  if (interval_ms <= 0) return;
  auto& wheel = WheelFor(interval_ms);
  // xorshift: cheap jitter, quality is irrelevant here.
  rng_state_ ^= rng_state_ << 13;
  rng_state_ ^= rng_state_ >> 7;
  rng_state_ ^= rng_state_ << 17;
  const size_t n = wheel.slots.size();
  // First ping after [interval/2, 1.5*interval) spreads the ping load.
  size_t delay = n / 2 + static_cast<size_t>(rng_state_ % std::max<size_t>(1, n));
  auto& slot = session->ping_slot();
  slot.interval_ms = interval_ms;
  slot.slot = static_cast<uint32_t>((wheel.cursor + std::max<size_t>(1, delay % n)) % n);
  slot.skip_rounds = delay >= n ? 1 : 0;
  auto& bucket = wheel.slots[slot.slot];
  slot.index = static_cast<uint32_t>(bucket.size());
  bucket.push_back(session);
  if (session->requires_pongs_) {
    // The first pong is due one timeout after the first ping.
    pong_due_[session] =
        std::chrono::steady_clock::now() + kTick * static_cast<int64_t>(delay) + pong_timeout_;
  }
}

void Worker::CancelPings(Session* session) {
  auto& slot = session->ping_slot();
  if (slot.interval_ms <= 0) return;
  auto it = wheels_.find(slot.interval_ms);
  if (it != wheels_.end()) {
    auto& bucket = it->second.slots[slot.slot];
    if (slot.index < bucket.size() && bucket[slot.index] == session) {
      bucket[slot.index] = bucket.back();
      bucket[slot.index]->ping_slot().index = slot.index;
      bucket.pop_back();
    }
  }
  slot.interval_ms = 0;
}

void Worker::WriteBlocked(Session* session) {
  write_blocked_.insert(session);
}
void Worker::WriteUnblocked(Session* session) {
  write_blocked_.erase(session);
}

void Worker::ArmTick() {
  tick_timer_.expires_after(kTick);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    OnTick();
    ArmTick();
  });
}

void Worker::OnTick() {
  // One ping frame per framing and precision per tick, shared by every
  // session pinged.
  FrameRef ping_frames[kFramingCount][3];
  FrameRef native_ping;
  for (auto& [interval, wheel] : wheels_) {
    wheel.cursor = (wheel.cursor + 1) % wheel.slots.size();
    auto& bucket = wheel.slots[wheel.cursor];
    for (Session* s : bucket) {
      auto& slot = s->ping_slot();
      if (slot.skip_rounds > 0) {
        --slot.skip_rounds;
        continue;
      }
      auto p = static_cast<size_t>(s->ping_precision());
      FrameRef& ping = ping_frames[static_cast<size_t>(s->framing())][p];
      if (!ping) {
        ping = EncodeMessage(s->framing(), protocol::Ping(PingTimestamp(s->ping_precision())));
      }
      if (ping) s->Send(ping);
      if (native_pings_ && !IsSse(s->framing())) {
        if (!native_ping) native_ping = FrameRef::Make(ws::EncodeFrame(ws::Opcode::kPing, ""));
        s->Send(native_ping);
      }
      if (s->requires_pongs_)
        pong_due_.try_emplace(s, std::chrono::steady_clock::now() + pong_timeout_);
    }
  }
  if (!pong_due_.empty()) {
    auto now = std::chrono::steady_clock::now();
    std::vector<Session*> expired;
    for (const auto& [s, due] : pong_due_) {
      if (now > due) expired.push_back(s);
    }
    for (Session* s : expired) {
      pong_due_.erase(s);
      s->OnPongTimeout();
    }
  }
  if (!write_blocked_.empty()) {
    auto now = std::chrono::steady_clock::now();
    std::vector<Session*> expired;
    for (Session* s : write_blocked_) {
      if (now - s->write_blocked_since() > write_timeout_) expired.push_back(s);
    }
    for (Session* s : expired) s->OnWriteTimeout();
  }
}

}  // namespace cable::server
