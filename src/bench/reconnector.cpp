#include "bench/reconnector.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>

#include "bench/clock.h"
#include "bench/connection.h"
#include "bench/loop.h"

namespace cable::bench {

Reconnector::Reconnector(Loop& loop) : loop_(loop), timer_(loop.io()) {}

void Reconnector::Begin(int64_t drop_ns, int64_t since_unix_s) {
  boost::asio::post(loop_.io(), [this, drop_ns, since_unix_s] {
    active_ = true;
    since_unix_s_ = since_unix_s;
    timer_.expires_after(std::chrono::nanoseconds(std::max<int64_t>(0, drop_ns - NowNs())));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && active_) DropAll();
    });
  });
}

void Reconnector::Stop() {
  active_ = false;
  timer_.cancel();
}

void Reconnector::DropAll() {
  for (Connection* c : clients_) {
    // A client that never connected (or was lost) has no session to restore.
    if (!c->ready()) continue;
    c->Drop();
    ++pending_;
    loop_.counters.rejoin_dropped.Add();
    loop_.counters.rejoin_offline.Add();
  }
  if (pending_ == 0) {
    loop_.counters.rejoin_done.store(true);
    return;
  }
  auto pause = static_cast<int64_t>(loop_.options().reconnect_pause_s * 1e9);
  timer_.expires_after(std::chrono::nanoseconds(pause));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && active_) ReturnAll();
  });
}

void Reconnector::ReturnAll() {
  const int64_t now = NowNs();
  for (Connection* c : clients_) {
    if (c->rejoin()->phase == Rejoin::Phase::kOffline) c->Reconnect(now);
  }
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
  if (pending_ > 0 && --pending_ == 0) loop_.counters.rejoin_done.store(true);
}

std::map<std::string, int64_t> Reconnector::FailureReasons() {
  std::lock_guard lock(mu_);
  return failures_;
}

}  // namespace cable::bench
