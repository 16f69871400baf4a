#include "server/broker/memory_broker.h"

#include <fmt/format.h>

#include <chrono>

#include "common/log.h"
#include "common/random_id.h"
#include "server/broker/history_rules.h"

namespace cable::server {

namespace {
// anycable-go's epochs are 4-character nanoids.
constexpr size_t kEpochChars = 4;
// An empty stream keeps its offset counter this many history TTLs.
constexpr int64_t kStreamLifeFactor = 10;
// Per-entry overhead counted against max_session_bytes besides the
// snapshot (key, node, bookkeeping).
constexpr size_t kSessionOverhead = 96;

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t SystemNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

MemoryBroker::MemoryBroker(BrokerLimits limits, std::string epoch, std::function<int64_t()> now)
    : limits_(limits),
      epoch_(epoch.empty() ? RandomId(kEpochChars) : std::move(epoch)),
      test_clock_(static_cast<bool>(now)),
      now_(now ? std::move(now) : SystemNow) {}

// Presence deadlines are in milliseconds: a member that dropped stays at
// least presence_ttl, not anything from ttl-1 s up (a reconnect within a
// short ttl must never cause a leave/join pair).
int64_t MemoryBroker::PresenceNowMs() const {
  return test_clock_ ? now_() * 1000 : SystemNowMs();
}

MemoryBroker::~MemoryBroker() {
  Stop();
}

Status MemoryBroker::Start() {
  sweeper_ = std::thread([this] { RunSweeper(); });
  return Status::Ok();
}

void MemoryBroker::Stop() {
  {
    std::lock_guard lock(sweeper_mu_);
    stopping_ = true;
  }
  sweeper_cv_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
}

std::string MemoryBroker::Describe() const {
  return fmt::format(
      "memory (epoch {}, history {} messages for {} s, sessions kept {} s, presence {} s)", epoch_,
      limits_.history_limit, limits_.history_ttl_s, limits_.sessions_ttl_s, limits_.presence_ttl_s);
}

void MemoryBroker::Store(BroadcastPtr broadcast, StoreDone done) {
  // `done` runs under the lock: two threads storing to one stream hand
  // their messages on in offset order.
  std::lock_guard lock(streams_mu_);
  const int64_t now = now_();
  Stream& stream = streams_[broadcast->stream];
  auto positioned = WithPosition(*broadcast, ++stream.offset, epoch_);
  stream.entries.push_back(Entry{positioned, now});
  while (stream.entries.size() > limits_.history_limit) stream.entries.pop_front();
  stream.keep_until = now + limits_.history_ttl_s * kStreamLifeFactor;
  done(std::move(positioned));
}

Status MemoryBroker::CollectFrom(const StreamHistoryQuery& q,
                                 std::vector<BroadcastPtr>& out) const {
  auto it = streams_.find(q.stream);
  if (!q.from) {
    if (it == streams_.end()) return Status::Ok();  // nothing was sent since then
    for (const auto& e : it->second.entries) {
      if (e.stored_at >= q.since) out.push_back(e.message);
    }
    return Status::Ok();
  }
  const StreamPosition& from = *q.from;
  const bool known = it != streams_.end();
  const Stream* stream = known ? &it->second : nullptr;
  const uint64_t lowest =
      known && !stream->entries.empty() ? stream->entries.front().message->offset : 0;
  if (auto s = CheckReplayable(from, epoch_, known, known ? stream->offset : 0, lowest); !s.ok()) {
    return s;
  }
  for (const auto& e : stream->entries) {
    if (e.message->offset > from.offset) out.push_back(e.message);
  }
  return Status::Ok();
}

void MemoryBroker::History(std::vector<StreamHistoryQuery> query, HistoryDone done) {
  Result<std::vector<BroadcastPtr>> out = std::vector<BroadcastPtr>();
  {
    std::lock_guard lock(streams_mu_);
    out = CollectHistory(
        query, [this](const StreamHistoryQuery& q, size_t, std::vector<BroadcastPtr>& into) {
          return CollectFrom(q, into);
        });
  }
  done(std::move(out));
}

void MemoryBroker::Tail(const std::string& stream, TailDone done) {
  std::optional<StreamPosition> tail;
  {
    std::lock_guard lock(streams_mu_);
    auto it = streams_.find(stream);
    if (it != streams_.end() && it->second.offset > 0) {
      tail = StreamPosition{it->second.offset, epoch_};
    }
  }
  done(std::move(tail));
}

void MemoryBroker::SaveSession(const std::string& sid, std::string snapshot) {
  std::lock_guard lock(sessions_mu_);
  const int64_t expires_at = now_() + limits_.sessions_ttl_s;
  auto it = sessions_.find(sid);
  const size_t old_bytes =
      it == sessions_.end() ? 0 : it->second.snapshot.size() + kSessionOverhead;
  const size_t new_bytes = snapshot.size() + kSessionOverhead;
  if (session_bytes_ - old_bytes + new_bytes > limits_.max_session_bytes) {
    if (!full_logged_) {
      log::Warn("Session cache is full ({} bytes): new sessions are not kept for restore",
                limits_.max_session_bytes);
      full_logged_ = true;
    }
    return;
  }
  session_bytes_ = session_bytes_ - old_bytes + new_bytes;
  if (it == sessions_.end()) {
    sessions_.emplace(sid, SessionEntry{std::move(snapshot), expires_at});
  } else {
    it->second = SessionEntry{std::move(snapshot), expires_at};
  }
}

void MemoryBroker::TouchSessions(std::vector<std::string> sids) {
  std::lock_guard lock(sessions_mu_);
  const int64_t expires_at = now_() + limits_.sessions_ttl_s;
  for (const auto& sid : sids) {
    if (auto it = sessions_.find(sid); it != sessions_.end()) it->second.expires_at = expires_at;
  }
}

void MemoryBroker::FetchSession(const std::string& sid, SessionDone done) {
  std::optional<std::string> snapshot;
  {
    std::lock_guard lock(sessions_mu_);
    auto it = sessions_.find(sid);
    if (it != sessions_.end() && it->second.expires_at >= now_()) snapshot = it->second.snapshot;
  }
  done(std::move(snapshot));
}

void MemoryBroker::PresenceAdd(const std::string& stream, const std::string& sid,
                               PresenceMember member, PresenceDone done) {
  Result<PresenceSet::MaybeEvent> result = PresenceSet::MaybeEvent();
  {
    std::lock_guard lock(presence_mu_);
    if (presence_.bytes() + member.id.size() + member.info.size() > limits_.max_presence_bytes) {
      if (!presence_full_logged_) {
        log::Warn("Presence store is full ({} bytes): joins fail until members leave",
                  limits_.max_presence_bytes);
        presence_full_logged_ = true;
      }
      result = BrokerUnavailable("the presence store is full");
    } else {
      result = presence_.Add(stream, sid, std::move(member));
    }
  }
  done(std::move(result));
}

void MemoryBroker::PresenceRemove(const std::string& stream, const std::string& sid,
                                  PresenceDone done) {
  Result<PresenceSet::MaybeEvent> result = PresenceSet::MaybeEvent();
  {
    std::lock_guard lock(presence_mu_);
    result = presence_.Remove(stream, sid);
  }
  done(std::move(result));
}

void MemoryBroker::PresenceInfo(const std::string& stream, PresenceListDone done) {
  PresenceList list;
  {
    std::lock_guard lock(presence_mu_);
    list = presence_.List(stream);
  }
  done(std::move(list));
}

void MemoryBroker::FinishPresence(const std::string& sid) {
  std::lock_guard lock(presence_mu_);
  presence_.Finish(sid, PresenceNowMs() + limits_.presence_ttl_s * 1000);
}

void MemoryBroker::Sweep() {
  const int64_t now = now_();
  std::vector<std::pair<std::string, PresenceEvent>> leaves;
  {
    std::lock_guard lock(presence_mu_);
    leaves = presence_.Expire(PresenceNowMs());
    if (presence_.bytes() < limits_.max_presence_bytes / 2) presence_full_logged_ = false;
  }
  if (presence_expired_) {
    for (auto& [stream, leave] : leaves) presence_expired_(stream, std::move(leave));
  }
  {
    std::lock_guard lock(streams_mu_);
    for (auto it = streams_.begin(); it != streams_.end();) {
      auto& entries = it->second.entries;
      while (!entries.empty() && entries.front().stored_at < now - limits_.history_ttl_s) {
        entries.pop_front();
      }
      if (entries.empty() && it->second.keep_until < now) {
        it = streams_.erase(it);
      } else {
        ++it;
      }
    }
  }
  std::lock_guard lock(sessions_mu_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second.expires_at < now) {
      session_bytes_ -= it->second.snapshot.size() + kSessionOverhead;
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
  if (session_bytes_ < limits_.max_session_bytes / 2) full_logged_ = false;
}

void MemoryBroker::RunSweeper() {
  std::unique_lock lock(sweeper_mu_);
  while (!stopping_) {
    sweeper_cv_.wait_for(lock, std::chrono::seconds(1));
    if (stopping_) break;
    lock.unlock();
    Sweep();
    lock.lock();
  }
}

}  // namespace cable::server
