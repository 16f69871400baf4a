#include "bench/loop.h"

#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <random>

#include "bench/clock.h"
#include "bench/payload.h"
#include "bench/scanner.h"
#include "bench/script/driver.h"
#include "bench/shard.h"

namespace cable::bench {

namespace {
constexpr auto kTickPeriod = std::chrono::milliseconds(100);
constexpr int64_t kLateStartNs = 10'000'000;
}  // namespace

Loop::Loop(int index, int loops, RunShared& shared)
    : index_(index),
      loops_(loops),
      shared_(shared),
      io_(1),
      poller_(io_, epoll_create1(EPOLL_CLOEXEC)),
      tick_timer_(io_),
      ramp_timer_(io_),
      echo_timer_(io_),
      check_positions_(ChecksPositions(*shared.options)),
      reconnector_(*this),
      presence_(*this),
      read_buffer_(new char[kReadBufferSize]) {
  std::random_device rd;
  const uint32_t key = rd() | 1;
  for (int i = 0; i < 4; ++i) mask_[i] = static_cast<uint8_t>(key >> (8 * i));
  const BenchOptions& o = *shared.options;
  if (shared.script) script_ = std::make_unique<script::ScriptDriver>(*this, *shared.script);
  // Clients keep their global numbers when the run is sharded (shard.h).
  const int local_clients = ShardClients(o);
  for (int local = index; local < local_clients; local += loops) {
    const int client = ShardClient(o, local);
    auto c = std::make_unique<Connection>(*this, client, shared.plan->StreamOf(client));
    // The last --reconnect clients drop and come back; the first ones stay,
    // so every stream keeps a `perform` sender.
    if (client >= o.clients - o.reconnect) {
      c->PlanRejoin();
      reconnector_.Add(c.get());
    }
    if (o.scenario == Scenario::kPresence) {
      // The last --churn clients churn, as the last --reconnect ones rejoin.
      c->PlanPresence(client >= o.clients - o.churn);
      presence_.Add(c.get());
    }
    if (script_) script_->Add(c.get());
    connections_.push_back(std::move(c));
  }
  ready_list_.reserve(connections_.size());
  // Split the in-flight cap so the total (over every loop of every shard)
  // matches --connect-concurrency.
  in_flight_cap_ = std::max<int64_t>(1, ShareOf(o.connect_concurrency, slot(), slots()));
  frame_buffer_.reserve(4096);
  payload_buffer_.reserve(4096);
  command_buffer_.reserve(4096);
}

Loop::~Loop() {
  Shutdown();
}

void Loop::Start() {
  running_ = true;
  ScheduleTick();
  ArmPoller();
  thread_ = std::thread([this] {
    auto guard = boost::asio::make_work_guard(io_);
    io_.run();
  });
}

void Loop::Shutdown() {
  if (!running_) return;
  RunSync(
      [this] {
        connecting_ = false;
        echoing_ = false;
        tick_timer_.cancel();
        ramp_timer_.cancel();
        echo_timer_.cancel();
        reconnector_.Stop();
        presence_.Stop();
        if (script_) script_->Stop();
        boost::system::error_code ignored;
        poller_.cancel(ignored);
        for (auto& c : connections_) c->Abort();
      },
      30000);
  io_.stop();
  if (thread_.joinable()) thread_.join();
  running_ = false;
}

bool Loop::RunSync(const std::function<void()>& fn, int timeout_ms) {
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  boost::asio::post(io_, [fn, done] {
    fn();
    done->set_value();
  });
  return future.wait_for(std::chrono::milliseconds(timeout_ms)) == std::future_status::ready;
}

void Loop::ArmPoller() {
  poller_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                     [this](const boost::system::error_code& ec) {
                       if (!ec) Poll();
                     });
}

void Loop::Poll() {
  // A few rounds at most, so timers and posted work still get their turn
  // when every socket is busy.
  for (int round = 0; round < 4; ++round) {
    int n = epoll_wait(poller_.native_handle(), events_, kMaxEvents, 0);
    for (int i = 0; i < n; ++i) {
      static_cast<Connection*>(events_[i].data.ptr)->OnEvent(events_[i].events);
    }
    if (n < kMaxEvents) break;
  }
  ArmPoller();
}

void Loop::Watch(int fd, Connection* c, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = c;
  epoll_ctl(poller_.native_handle(), EPOLL_CTL_ADD, fd, &ev);
}

void Loop::Modify(int fd, Connection* c, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = c;
  epoll_ctl(poller_.native_handle(), EPOLL_CTL_MOD, fd, &ev);
}

void Loop::ScheduleTick() {
  tick_timer_.expires_after(kTickPeriod);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    Tick();
    ScheduleTick();
  });
}

void Loop::Tick() {
  {
    std::lock_guard lock(shared_mu_);
    shared_connect_.Merge(connect_interval_);
    shared_message_.Merge(message_interval_);
  }
  connect_interval_.Reset();
  message_interval_.Reset();
  if (connecting_) {
    CheckHandshakeTimeouts(NowNs());
    PumpConnects();
  }
  // A closed loop only moves on replies; the tick notices the end time even
  // when replies stop coming.
  if (echoing_ && options().concurrent > 0) EchoTick();
  if (reconnector_.active()) reconnector_.CheckTimeouts(NowNs());
  if (presence_.active()) presence_.CheckTimeouts(NowNs());
}

void Loop::TakeIntervals(Histogram* connect, Histogram* message) {
  std::lock_guard lock(shared_mu_);
  connect->Merge(shared_connect_);
  message->Merge(shared_message_);
  shared_connect_.Reset();
  shared_message_.Reset();
}

std::map<std::string, int64_t> Loop::FailureReasons() {
  std::lock_guard lock(shared_mu_);
  return failures_;
}

std::map<std::string, int64_t> Loop::DropReasons() {
  std::lock_guard lock(shared_mu_);
  return drops_;
}

// ---- Connect ramp ----

void Loop::BeginConnect(int64_t t0_ns) {
  boost::asio::post(io_, [this, t0_ns] {
    connect_t0_ = t0_ns;
    connecting_ = true;
    PumpConnects();
  });
}

void Loop::PumpConnects() {
  if (!connecting_) return;
  const double rate = options().connect_rate;
  int64_t now = NowNs();
  while (next_connect_ < connections_.size() && in_flight_ < in_flight_cap_) {
    Connection& c = *connections_[next_connect_];
    if (rate > 0) {
      // Client n is due at t0 + n/rate whichever loop owns it, so the loops
      // together offer exactly the requested rate.
      auto due = connect_t0_ + static_cast<int64_t>(static_cast<double>(c.client()) * 1e9 / rate);
      if (due > now) {
        ramp_timer_.expires_after(std::chrono::nanoseconds(due - now));
        ramp_timer_.async_wait([this](const boost::system::error_code& ec) {
          if (!ec) PumpConnects();
        });
        return;
      }
      if (now - due > kLateStartNs) counters.late_starts.Add();
      max_connect_lag_ns_ = std::max(max_connect_lag_ns_, now - due);
    }
    ++next_connect_;
    ++in_flight_;
    counters.in_flight.Add();
    counters.started.Add();
    c.Start(now);
  }
  if (next_connect_ == connections_.size() && in_flight_ == 0) {
    connecting_ = false;
    counters.connect_done.store(true);
  }
}

void Loop::CheckHandshakeTimeouts(int64_t now_ns) {
  auto limit = static_cast<int64_t>(options().connect_timeout_s * 1e9);
  for (size_t i = 0; i < next_connect_; ++i) {
    Connection& c = *connections_[i];
    auto s = c.state();
    if (s != Connection::State::kReady && s != Connection::State::kClosed &&
        s != Connection::State::kIdle && now_ns - c.start_ns() > limit) {
      c.TimeOut();
    }
  }
}

void Loop::OnTcpConnected(Connection& c, int64_t now_ns) {
  if (!c.redialing()) tcp_.Record(now_ns - c.start_ns());
}

void Loop::OnUpgraded(Connection& c) {
  if (!c.redialing()) counters.upgraded.Add();
}

void Loop::OnWelcome(Connection& c, int64_t now_ns) {
  counters.welcomed.Add();
  welcome_.Record(now_ns - c.start_ns());
}

void Loop::OnReady(Connection& c, int64_t now_ns) {
  int64_t d = now_ns - c.start_ns();
  ready_.Record(d);
  connect_interval_.Record(d);
  ready_list_.push_back(&c);
  counters.ready.Add();
  counters.last_ready_ns.store(now_ns, std::memory_order_relaxed);
  --in_flight_;
  counters.in_flight.Add(-1);
  PumpConnects();
}

void Loop::OnEnded(Connection& c, std::string_view reason, bool was_handshaking) {
  if (script_) return script_->OnEnded(c, reason, was_handshaking);
  if (Rejoin* r = c.rejoin(); r && r->phase != Rejoin::Phase::kPlanned) {
    if (was_handshaking) return reconnector_.OnFailed(c, reason);
    if (r->phase == Rejoin::Phase::kRecovering) reconnector_.OnLost(c);
  }
  if (const PresenceMember* p = c.presence(); p && p->phase != PresenceMember::Phase::kConnecting) {
    if (presence_.OnEnded(c, reason)) return;
    // Lost after its first welcome, whatever it was doing: a drop.
    was_handshaking = false;
  }
  {
    std::lock_guard lock(shared_mu_);
    (was_handshaking ? failures_ : drops_)[std::string(reason)]++;
  }
  if (was_handshaking) {
    counters.failed.Add();
    --in_flight_;
    counters.in_flight.Add(-1);
    PumpConnects();
  } else {
    counters.dropped.Add();
  }
}

Connection* Loop::FirstReadyOf(int stream) {
  for (Connection* c : ready_list_) {
    if (c->stream() == stream && c->ready() && !c->rejoins()) return c;
  }
  return nullptr;
}

// ---- Messages ----

void Loop::OnData(Connection& c, const ScannedMessage& m) {
  if (!m.has_seq) {
    counters.other.Add();
    return;
  }
  int64_t now = NowNs();
  if (m.broadcast_result) {
    // The sender's own acknowledgement (websocket-bench's "RTT"): reported
    // separately, never mixed with delivery latency.
    counters.acks.Add();
    if (m.has_ts) ack_.Record(now - m.ts);
    return;
  }
  if (check_positions_ && !CheckPosition(c, m)) return;
  counters.received.Add();
  if (c.recovering()) {
    // Counted when the replay ends, in order; a replayed message's latency
    // would measure the time the client was away, so it is not timed.
    c.rejoin()->held.push_back(m.seq);
    return;
  }
  if (CountSeq(c, m.seq) && m.has_ts && m.seq >= options().warmup) {
    latency_.Record(now - m.ts);
    message_interval_.Record(now - m.ts);
  }
  if (echoing_ && options().concurrent > 0) {
    --echo_in_flight_;
    EchoTick();
  }
}

bool Loop::CountSeq(Connection& c, int64_t seq) {
  if (seq < 0 || !c.seq().Receive(static_cast<uint64_t>(seq))) {
    counters.duplicates.Add();
    return false;
  }
  counters.unique.Add();
  return true;
}

bool Loop::CheckPosition(Connection& c, const ScannedMessage& m) {
  if (!m.has_offset) {
    counters.unpositioned.Add();
    return true;
  }
  counters.positioned.Add();
  using V = PositionTracker::Verdict;
  auto seen = c.positions().Observe(m.stream_id, m.epoch, m.offset);
  switch (seen.verdict) {
    case V::kFirst:
    case V::kNext:
      break;
    case V::kGap:
      counters.position_gaps.Add();
      counters.skipped_offsets.Add(static_cast<int64_t>(seen.skipped));
      break;
    case V::kDuplicate:
      counters.position_duplicates.Add();
      break;
    case V::kEpochChange:
      counters.epoch_changes.Add();
      break;
    case V::kRecovered:
      counters.replayed.Add();
      break;
    case V::kCopy:
      counters.replay_copies.Add();
      return false;
    case V::kRejoined:
      counters.missed_across_drop.Add(static_cast<int64_t>(seen.skipped));
      break;
  }
  return true;
}

void Loop::PostPerform(Connection* sender, int64_t seq, int64_t ts_ns) {
  boost::asio::post(io_, [this, sender, seq, ts_ns] {
    payload_buffer_.clear();
    AppendPayload(payload_buffer_, "broadcast", seq, ts_ns, options().payload_size,
                  options().payload_padding);
    command_buffer_.clear();
    const StreamPlan& s = plan().streams[static_cast<size_t>(sender->stream())];
    AppendPerformCommand(command_buffer_, s.escaped_identifier, payload_buffer_);
    if (sender->ready() && sender->SendText(command_buffer_)) {
      counters.sent.Add();
      shared_.published[sender->stream()].fetch_add(1, std::memory_order_relaxed);
    } else {
      counters.send_failed.Add();
    }
  });
}

// ---- Echo ----

void Loop::BeginEcho(int64_t t0_ns, int64_t end_ns, int64_t count) {
  boost::asio::post(io_, [this, t0_ns, end_ns, count] {
    const BenchOptions& o = options();
    echoing_ = true;
    echo_end_ns_ = end_ns;
    // This loop's share of the total count and rate: request i of the
    // whole run (every loop of every shard) goes to slot i mod slots.
    echo_left_ = count > 0 ? ShareOf(count, slot(), slots()) : INT64_MAX;
    if (o.rate > 0) {
      double global_period = 1e9 / o.rate;
      echo_period_ns_ = static_cast<int64_t>(global_period * static_cast<double>(slots()));
      echo_next_ns_ = t0_ns + static_cast<int64_t>(global_period * static_cast<double>(slot()));
    }
    EchoTick();
  });
}

Connection* Loop::NextReady() {
  for (size_t tries = 0; tries < ready_list_.size(); ++tries) {
    Connection* c = ready_list_[ready_cursor_];
    ready_cursor_ = (ready_cursor_ + 1) % ready_list_.size();
    if (c->ready()) return c;
  }
  return nullptr;
}

void Loop::SendEcho(Connection& c, int64_t ts_ns) {
  payload_buffer_.clear();
  AppendPayload(payload_buffer_, "echo", c.sent, ts_ns, options().payload_size,
                options().payload_padding);
  command_buffer_.clear();
  const StreamPlan& s = plan().streams[static_cast<size_t>(c.stream())];
  AppendPerformCommand(command_buffer_, s.escaped_identifier, payload_buffer_);
  if (c.SendText(command_buffer_)) {
    ++c.sent;
    counters.sent.Add();
  } else {
    counters.send_failed.Add();
  }
}

void Loop::EchoTick() {
  if (!echoing_) return;
  const BenchOptions& o = options();
  int64_t now = NowNs();
  auto finish = [this] {
    echoing_ = false;
    counters.send_done.store(true);
  };
  if (echo_left_ <= 0 || now >= echo_end_ns_ || ready_list_.empty()) {
    finish();
    return;
  }
  if (o.concurrent > 0) {
    // Closed loop: keep this loop's share of --concurrent requests in flight.
    int64_t want = std::max<int64_t>(1, ShareOf(o.concurrent, slot(), slots()));
    while (echo_in_flight_ < want && echo_left_ > 0) {
      Connection* c = NextReady();
      if (!c) return finish();
      SendEcho(*c, NowNs());
      ++echo_in_flight_;
      --echo_left_;
    }
    return;
  }
  // Open loop: every request due by now goes out stamped with the time it
  // was due, so a stalled generator shows up as latency instead of hiding
  // it (coordinated omission).
  while (echo_next_ns_ <= now && echo_left_ > 0 && echo_next_ns_ < echo_end_ns_) {
    Connection* c = NextReady();
    if (!c) return finish();
    SendEcho(*c, echo_next_ns_);
    echo_next_ns_ += echo_period_ns_;
    --echo_left_;
  }
  if (echo_left_ <= 0 || echo_next_ns_ >= echo_end_ns_) return finish();
  echo_timer_.expires_after(std::chrono::nanoseconds(echo_next_ns_ - now));
  echo_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) EchoTick();
  });
}

}  // namespace cable::bench
