#include "bench/presence_driver.h"

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "bench/clock.h"
#include "bench/connection.h"
#include "bench/loop.h"
#include "bench/presence_member.h"
#include "bench/presence_receipt.h"
#include "bench/presence_wire.h"
#include "bench/scanner.h"

namespace cable::bench {

namespace {
using Phase = PresenceMember::Phase;
constexpr int64_t kLateNs = 10'000'000;

int64_t Nanos(double seconds) {
  return static_cast<int64_t>(seconds * 1e9);
}
}  // namespace

PresenceDriver::PresenceDriver(Loop& loop)
    : loop_(loop), join_timer_(loop.io()), churn_timer_(loop.io()), return_timer_(loop.io()) {}

void PresenceDriver::Add(Connection* c) {
  members_.push_back(c);
  if (c->presence()->churns) churners_.push_back(c);
}

// ---- Joins ----

void PresenceDriver::BeginJoins(int64_t t0_ns) {
  boost::asio::post(loop_.io(), [this, t0_ns] {
    const bool drops = loop_.options().churn_mode == ChurnMode::kDisconnect;
    for (Connection* c : members_) {
      PresenceMember& p = *c->presence();
      // Who must see every later event: the clients connected now that stay
      // connected (churning by disconnect means being away).
      p.required = c->ready() && !(p.churns && drops);
    }
    join_t0_ = t0_ns;
    joining_ = true;
    PumpJoins();
  });
}

void PresenceDriver::PumpJoins() {
  if (!joining_) return;
  const double rate = loop_.options().rate;
  const int64_t now = NowNs();
  while (next_join_ < members_.size()) {
    Connection& c = *members_[next_join_];
    // Client n is due at t0 + n/rate whichever loop owns it.
    auto due = join_t0_ + static_cast<int64_t>(static_cast<double>(c.client()) * 1e9 / rate);
    if (due > now) {
      join_timer_.expires_after(std::chrono::nanoseconds(due - now));
      join_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) PumpJoins();
      });
      return;
    }
    if (now - due > kLateNs) loop_.counters.presence_late.Add();
    ++next_join_;
    PresenceMember& p = *c.presence();
    if (!c.ready() || p.phase != Phase::kWaiting) continue;
    p.phase = Phase::kSubscribing;
    p.phase_ns = now;
    ++pending_joins_;
    c.Subscribe(loop_.plan().streams[static_cast<size_t>(c.stream())].subscribe_command);
  }
  joining_ = false;
  MaybeJoined();
}

void PresenceDriver::OnConfirmed(Connection& c, int64_t now_ns) {
  PresenceMember& p = *c.presence();
  p.subscribed_ns = now_ns;
  if (p.phase == Phase::kSubscribing) {
    --pending_joins_;
    SendJoin(c, now_ns);
    MaybeJoined();
  } else if (p.phase == Phase::kRejoining) {
    // Joined by the subscription itself (it carried the presence).
    p.phase = Phase::kJoined;
    --pending_rejoins_;
    loop_.counters.presence_offline.Add(-1);
    MaybeChurned();
  }
}

void PresenceDriver::SendJoin(Connection& c, int64_t now_ns) {
  PresenceMember& p = *c.presence();
  p.phase = Phase::kJoined;
  // On the board before the command leaves: the event can only come after.
  Record(c, PresenceAction::kJoin, now_ns);
  command_.clear();
  AppendJoinCommand(command_,
                    loop_.plan().streams[static_cast<size_t>(c.stream())].escaped_identifier,
                    loop_.plan().presence_tag, c.client(), p.epoch);
  c.SendText(command_);
}

void PresenceDriver::Record(Connection& c, PresenceAction action, int64_t now_ns) {
  PresenceMember& p = *c.presence();
  loop_.presence_board()->Record(c.client(), c.stream(), p.epoch, action, now_ns);
  actions_.push_back({c.stream(), action == PresenceAction::kDrop, now_ns});
  switch (action) {
    case PresenceAction::kJoin:
      ++p.own;
      loop_.counters.presence_joins.Add();
      break;
    case PresenceAction::kLeave:
      ++p.own;
      loop_.counters.presence_leaves.Add();
      break;
    case PresenceAction::kDrop:
      loop_.counters.presence_drops.Add();
      break;
  }
}

void PresenceDriver::MaybeJoined() {
  if (!joining_ && pending_joins_ == 0) loop_.counters.presence_joined.store(true);
}

// ---- Churn ----

void PresenceDriver::BeginChurn(int64_t t0_ns, int64_t end_ns) {
  boost::asio::post(loop_.io(), [this, t0_ns, end_ns] {
    const double rate = loop_.options().churn_rate;
    const int loops = loop_.loops();
    // This loop's share: every loops-th action of the global schedule.
    churn_period_ns_ = static_cast<int64_t>(1e9 / rate * loops);
    churn_next_ns_ = t0_ns + static_cast<int64_t>(1e9 / rate * loop_.index());
    churn_end_ns_ = end_ns;
    churning_ = !churners_.empty();
    if (churning_) {
      ChurnDue();
    } else {
      MaybeChurned();
    }
  });
}

void PresenceDriver::ChurnDue() {
  if (!churning_) return;
  const int64_t now = NowNs();
  while (churn_next_ns_ <= now && churn_next_ns_ < churn_end_ns_) {
    if (now - churn_next_ns_ > kLateNs) loop_.counters.presence_late.Add();
    Connection* pick = nullptr;
    for (size_t tries = 0; tries < churners_.size() && !pick; ++tries) {
      Connection* c = churners_[churn_cursor_];
      churn_cursor_ = (churn_cursor_ + 1) % churners_.size();
      if (c->ready() && c->presence()->phase == Phase::kJoined) pick = c;
    }
    if (pick) {
      Churn(*pick, now);
    } else {
      // Every churner is away (or gone): the rate needs more churners or a
      // shorter pause.
      loop_.counters.presence_skipped.Add();
    }
    churn_next_ns_ += churn_period_ns_;
  }
  if (churn_next_ns_ >= churn_end_ns_) {
    churning_ = false;
    return MaybeChurned();
  }
  churn_timer_.expires_after(std::chrono::nanoseconds(churn_next_ns_ - now));
  churn_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) ChurnDue();
  });
}

void PresenceDriver::Churn(Connection& c, int64_t now_ns) {
  PresenceMember& p = *c.presence();
  if (loop_.options().churn_mode == ChurnMode::kLeave) {
    Record(c, PresenceAction::kLeave, now_ns);
    command_.clear();
    AppendLeaveCommand(command_,
                       loop_.plan().streams[static_cast<size_t>(c.stream())].escaped_identifier);
    c.SendText(command_);
    p.phase = Phase::kLeft;
  } else {
    Record(c, PresenceAction::kDrop, now_ns);
    // RST, no close frame: a network failure, which is what the TTL is for.
    c.Abort();
    p.phase = Phase::kOffline;
    loop_.counters.presence_offline.Add();
  }
  p.phase_ns = now_ns;
  away_.push_back(&c);
  ArmReturn();
}

void PresenceDriver::ArmReturn() {
  if (return_armed_ || away_.empty()) return;
  const int64_t due = away_.front()->presence()->phase_ns + Nanos(loop_.options().churn_pause_s);
  return_armed_ = true;
  return_timer_.expires_after(std::chrono::nanoseconds(std::max<int64_t>(0, due - NowNs())));
  return_timer_.async_wait([this](const boost::system::error_code& ec) {
    return_armed_ = false;
    if (!ec) ReturnDue();
  });
}

void PresenceDriver::ReturnDue() {
  const int64_t pause = Nanos(loop_.options().churn_pause_s);
  const int64_t now = NowNs();
  while (!away_.empty() && away_.front()->presence()->phase_ns + pause <= now) {
    Connection& c = *away_.front();
    away_.pop_front();
    PresenceMember& p = *c.presence();
    ++p.epoch;
    if (p.phase == Phase::kLeft) {
      if (c.ready()) SendJoin(c, now);  // else it was lost meanwhile: a drop, counted
    } else if (p.phase == Phase::kOffline) {
      p.phase = Phase::kRedialing;
      p.phase_ns = now;
      ++pending_rejoins_;
      c.Redial(now);
    }
  }
  ArmReturn();
  MaybeChurned();
}

void PresenceDriver::OnRewelcome(Connection& c, int64_t now_ns) {
  PresenceMember& p = *c.presence();
  p.phase = Phase::kRejoining;  // phase_ns stays: the reconnect's timeout runs on
  Record(c, PresenceAction::kJoin, now_ns);
  command_.clear();
  AppendSubscribeWithPresence(
      command_, loop_.plan().streams[static_cast<size_t>(c.stream())].escaped_identifier,
      loop_.plan().presence_tag, c.client(), p.epoch);
  c.Subscribe(command_);
}

void PresenceDriver::MaybeChurned() {
  if (!churning_ && away_.empty() && pending_rejoins_ == 0) {
    loop_.counters.presence_churned.store(true);
  }
}

// ---- Losses and timeouts ----

bool PresenceDriver::OnEnded(Connection& c, std::string_view reason) {
  PresenceMember& p = *c.presence();
  switch (p.phase) {
    case Phase::kSubscribing:
      p.phase = Phase::kFailed;
      --pending_joins_;
      MaybeJoined();
      return false;
    case Phase::kRedialing:
    case Phase::kRejoining: {
      p.phase = Phase::kFailed;
      --pending_rejoins_;
      loop_.counters.presence_offline.Add(-1);
      loop_.counters.presence_rejoin_failed.Add();
      {
        std::lock_guard lock(mu_);
        failures_[std::string(reason)]++;
      }
      MaybeChurned();
      return true;
    }
    default:
      return false;
  }
}

void PresenceDriver::CheckTimeouts(int64_t now_ns) {
  const int64_t limit = Nanos(loop_.options().connect_timeout_s);
  for (Connection* c : members_) {
    const Phase ph = c->presence()->phase;
    if ((ph == Phase::kSubscribing || ph == Phase::kRedialing || ph == Phase::kRejoining) &&
        now_ns - c->presence()->phase_ns > limit) {
      c->TimeOut();
    }
  }
}

void PresenceDriver::Stop() {
  joining_ = churning_ = false;
  join_timer_.cancel();
  churn_timer_.cancel();
  return_timer_.cancel();
}

// ---- Receipts ----

void PresenceDriver::OnMessage(Connection& c, const ScannedMessage& m) {
  if (m.presence_type == "info" || m.presence_type == "error") return OnAnswer(c, m);
  const int64_t now = NowNs();
  const Plan& plan = loop_.plan();
  Receipt r = AccountPresenceEvent(*c.presence(), c.client(), static_cast<int>(plan.streams.size()),
                                   *loop_.presence_board(), plan.presence_tag, m, now);
  LoopCounters& n = loop_.counters;
  switch (r.verdict) {
    case ReceiptVerdict::kCounted:
      n.unique.Add();
      [[fallthrough]];
    case ReceiptVerdict::kBonus:
      n.received.Add();
      if (r.verdict == ReceiptVerdict::kBonus) n.presence_bonus.Add();
      if (!r.info_ok) n.presence_bad_info.Add();
      switch (r.action) {
        case PresenceAction::kJoin:
          join_.Record(r.latency_ns);
          loop_.RecordLatency(r.latency_ns);
          break;
        case PresenceAction::kLeave:
          leave_.Record(r.latency_ns);
          loop_.RecordLatency(r.latency_ns);
          break;
        case PresenceAction::kDrop:
          // Includes the presence TTL: kept out of the headline latency.
          drop_.Record(r.latency_ns);
          break;
      }
      break;
    case ReceiptVerdict::kOwn:
      n.presence_own.Add();
      break;
    case ReceiptVerdict::kDuplicate:
      n.duplicates.Add();
      break;
    case ReceiptVerdict::kUnknown:
    case ReceiptVerdict::kInvalid:
      n.presence_unknown.Add();
      break;
    case ReceiptVerdict::kForeign:
      n.presence_foreign.Add();
      break;
    case ReceiptVerdict::kNotAnEvent:
      n.other.Add();
      break;
  }
}

// ---- Queries ----

void PresenceDriver::PostQuery(Connection* c) {
  boost::asio::post(loop_.io(), [this, c] {
    command_.clear();
    AppendPresenceQuery(command_,
                        loop_.plan().streams[static_cast<size_t>(c->stream())].escaped_identifier);
    c->SendText(command_);
  });
}

void PresenceDriver::OnAnswer(Connection& c, const ScannedMessage& m) {
  // One reply per stream per run: parsed in full, off the event path.
  PresenceAnswer a;
  a.stream = c.stream();
  a.error = m.presence_type == "error";
  auto j = nlohmann::json::parse(m.message, nullptr, false);
  if (j.is_object()) {
    if (j.contains("total") && j["total"].is_number_integer()) a.total = j["total"].get<int64_t>();
    if (j.contains("records") && j["records"].is_array()) {
      const std::string prefix = loop_.plan().presence_tag + ".";
      for (const auto& rec : j["records"]) {
        ++a.records;
        if (rec.is_object() && rec.contains("id") && rec["id"].is_string() &&
            rec["id"].get<std::string>().rfind(prefix, 0) == 0) {
          ++a.ours;
        }
      }
    }
  }
  if (a.error) loop_.counters.presence_errors.Add();
  {
    std::lock_guard lock(mu_);
    answers_.push_back(a);
  }
  loop_.counters.presence_answers.Add();
}

std::map<std::string, int64_t> PresenceDriver::FailureReasons() {
  std::lock_guard lock(mu_);
  return failures_;
}

std::vector<PresenceAnswer> PresenceDriver::Answers() {
  std::lock_guard lock(mu_);
  return answers_;
}

}  // namespace cable::bench
