#include "bench/reconnector.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>

#include "bench/clock.h"
#include "bench/connection.h"
#include "bench/loop.h"

namespace cable::bench {

namespace {
std::chrono::nanoseconds Until(int64_t ns) {
  return std::chrono::nanoseconds(std::max<int64_t>(0, ns - NowNs()));
}
}  // namespace

Reconnector::Reconnector(Loop& loop)
    : loop_(loop), drop_timer_(loop.io()), return_timer_(loop.io()) {}

void Reconnector::Begin(int64_t drop_ns, int64_t since_unix_s) {
  boost::asio::post(loop_.io(), [this, drop_ns, since_unix_s] {
    active_ = true;
    since_unix_s_ = since_unix_s;
    drop_ns_ = drop_ns;
    if (clients_.empty()) return MaybeDone();
    drop_timer_.expires_after(Until(DropNs(0)));
    drop_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && active_) DropDue();
    });
  });
}

void Reconnector::Stop() {
  active_ = false;
  drop_timer_.cancel();
  return_timer_.cancel();
}

int64_t Reconnector::DropNs(size_t i) const {
  const BenchOptions& o = loop_.options();
  if (o.reconnect_spread_s <= 0) return drop_ns_;
  // The rejoining clients are the last --reconnect ones, spread over every
  // loop: their rank among them orders the drops across loops.
  const int rank = clients_[i]->client() - (o.clients - o.reconnect);
  return drop_ns_ + static_cast<int64_t>(o.reconnect_spread_s * 1e9 * rank / o.reconnect);
}

void Reconnector::DropDue() {
  const int64_t now = NowNs();
  for (; next_drop_ < clients_.size() && DropNs(next_drop_) <= now; ++next_drop_) {
    Connection* c = clients_[next_drop_];
    // A client that never connected (or was lost) has no session to restore.
    if (!c->ready()) continue;
    c->Drop();
    ++pending_;
    loop_.counters.rejoin_dropped.Add();
    loop_.counters.rejoin_offline.Add();
  }
  if (next_drop_ < clients_.size()) {
    drop_timer_.expires_after(Until(DropNs(next_drop_)));
    drop_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && active_) DropDue();
    });
  }
  ArmReturns();
  MaybeDone();
}

void Reconnector::ArmReturns() {
  if (return_armed_ || next_return_ >= next_drop_) return;
  const auto pause = static_cast<int64_t>(loop_.options().reconnect_pause_s * 1e9);
  return_armed_ = true;
  return_timer_.expires_after(Until(DropNs(next_return_) + pause));
  return_timer_.async_wait([this](const boost::system::error_code& ec) {
    return_armed_ = false;
    if (!ec && active_) ReturnDue();
  });
}

void Reconnector::ReturnDue() {
  const int64_t now = NowNs();
  const auto pause = static_cast<int64_t>(loop_.options().reconnect_pause_s * 1e9);
  for (; next_return_ < next_drop_ && DropNs(next_return_) + pause <= now; ++next_return_) {
    Connection* c = clients_[next_return_];
    if (c->rejoin()->phase == Rejoin::Phase::kOffline) c->Reconnect(now);
  }
  ArmReturns();
}

void Reconnector::MaybeDone() {
  if (next_drop_ >= clients_.size() && pending_ == 0) loop_.counters.rejoin_done.store(true);
}

void Reconnector::OnWelcome(Connection& c, bool restored) {
  (restored ? loop_.counters.rejoin_restored : loop_.counters.rejoin_not_restored).Add();
  c.rejoin()->held.reserve(64);
}

void Reconnector::OnReady(Connection& c, int64_t now_ns) {
  ready_.Record(now_ns - c.rejoin()->reconnect_ns);
  loop_.counters.rejoin_offline.Add(-1);
}

void Reconnector::OnHistoryEnd(Connection& c, bool confirmed, int64_t now_ns) {
  if (confirmed) {
    loop_.counters.history_confirmed.Add();
    recovered_.Record(now_ns - c.rejoin()->reconnect_ns);
    history_.Record(now_ns - c.rejoin()->history_sent_ns);
  } else {
    loop_.counters.history_rejected.Add();
  }
  EndRecovery(c);
  Settled();
}

void Reconnector::OnFailed(Connection& c, std::string_view reason) {
  Rejoin& r = *c.rejoin();
  if (r.phase == Rejoin::Phase::kRecovering) EndRecovery(c);
  r.phase = Rejoin::Phase::kFailed;
  loop_.counters.rejoin_failed.Add();
  loop_.counters.rejoin_offline.Add(-1);
  {
    std::lock_guard lock(mu_);
    failures_[std::string(reason)]++;
  }
  Settled();
}

void Reconnector::OnLost(Connection& c) {
  loop_.counters.history_unanswered.Add();
  EndRecovery(c);
  loop_.counters.missed_across_drop.Add(static_cast<int64_t>(c.positions().Settle()));
  Settled();
}

void Reconnector::CheckTimeouts(int64_t now_ns) {
  auto limit = static_cast<int64_t>(loop_.options().connect_timeout_s * 1e9);
  for (Connection* c : clients_) {
    // The handshake, and for a session not restored the subscription too.
    bool handshaking = c->reconnecting() || (c->recovering() && !c->ready());
    if (handshaking && now_ns - c->start_ns() > limit) c->TimeOut();
  }
}

void Reconnector::Finish() {
  for (Connection* c : clients_) {
    switch (c->rejoin()->phase) {
      case Rejoin::Phase::kOffline:
      case Rejoin::Phase::kReconnecting:
        OnFailed(*c, "not_back");
        break;
      case Rejoin::Phase::kRecovering:
        if (!c->ready()) {
          OnFailed(*c, "not_back");
          break;
        }
        loop_.counters.history_unanswered.Add();
        EndRecovery(*c);
        Settled();
        [[fallthrough]];
      case Rejoin::Phase::kDone:
        loop_.counters.missed_across_drop.Add(static_cast<int64_t>(c->positions().Settle()));
        break;
      case Rejoin::Phase::kPlanned:
      case Rejoin::Phase::kFailed:
        break;
    }
  }
  Stop();
}

void Reconnector::EndRecovery(Connection& c) {
  Rejoin& r = *c.rejoin();
  c.positions().ReplayEnded();
  std::sort(r.held.begin(), r.held.end());
  for (int64_t seq : r.held) loop_.CountSeq(c, seq);
  r.held = {};
  r.phase = Rejoin::Phase::kDone;
}

void Reconnector::Settled() {
  if (pending_ > 0) --pending_;
  MaybeDone();
}

std::map<std::string, int64_t> Reconnector::FailureReasons() {
  std::lock_guard lock(mu_);
  return failures_;
}

}  // namespace cable::bench
