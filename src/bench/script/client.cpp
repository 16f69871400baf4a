#include "bench/script/client.h"

#include <boost/asio/post.hpp>
#include <chrono>

#include "bench/clock.h"
#include "bench/connection.h"
#include "bench/loop.h"
#include "bench/scanner.h"
#include "bench/script/driver.h"
#include "bench/script/publisher.h"
#include "bench/script/stamp.h"
#include "common/auth/jwt.h"
#include "common/auth/message_verifier.h"
#include "common/broadcast/publisher.h"
#include "common/strings.h"
#include "conformance/pattern.h"

namespace cable::bench::script {

namespace {

using conformance::AsText;
using conformance::Dump;
using conformance::Json;

// How often a measured receive looks again at senders on other loops.
constexpr int64_t kPairedPollNs = 20'000'000;

int64_t Ns(Millis d) {
  return static_cast<int64_t>(d.count()) * 1'000'000;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// The rendered command split at its stamp slots: parts.size() - 1 stamps.
std::vector<std::string> SplitAtSlots(const std::string& text) {
  std::vector<std::string> parts;
  size_t from = 0;
  for (size_t at; (at = text.find(kStampSlot, from)) != std::string::npos;) {
    parts.push_back(text.substr(from, at - from));
    from = at + kStampSlot.size();
  }
  parts.push_back(text.substr(from));
  return parts;
}

}  // namespace

ScriptClient::ScriptClient(ScriptDriver& driver, Connection& connection, int group, int group_index)
    : driver_(driver),
      shared_(driver.shared()),
      conn_(connection),
      group_spec_(driver.shared().script().groups[static_cast<size_t>(group)]),
      group_(group),
      group_index_(group_index),
      client_(connection.client()),
      timer_(driver.loop().io()) {
  frames_[0].steps = &group_spec_.steps;
  receipts_.resize(group_spec_.pairs.size());
  own_sent_.assign(shared_.script().metrics.size(), 0);
}

// ---- Variables ----

std::optional<Json> ScriptClient::Variable(std::string_view name) const {
  const BenchOptions& o = shared_.options().bench;
  if (name == "stamp") return Json(std::string(kStampSlot));
  if (name == "run") return Json(shared_.run_id());
  if (name == "client") return Json(group_spec_.name + "-" + std::to_string(group_index_ + 1));
  if (name == "index") return Json(client_);
  if (name == "group") return Json(group_spec_.name);
  if (name == "group_index") return Json(group_index_);
  if (name == "target_host") return Json(o.host);
  if (name == "target_port") return Json(o.port);
  if (name == "target_path") return Json(o.target.substr(0, o.target.find('?')));
  if (auto it = captures_.find(name); it != captures_.end()) return it->second;
  for (const auto& [k, v] : shared_.script().vars) {
    if (k != name) continue;
    auto r = v.Render(*this);
    if (!r.ok()) return std::nullopt;
    return *r;
  }
  return std::nullopt;
}

Result<std::string> ScriptClient::Sign(std::string_view stream, conformance::SignKey key) const {
  const ScriptOptions& o = shared_.options();
  std::string secret = o.bench.streams_secret;
  if (key == conformance::SignKey::kTurbo && !o.turbo_secret.empty()) secret = o.turbo_secret;
  if (secret.empty()) {
    return Error{"no_secret", key == conformance::SignKey::kTurbo
                                  ? "no Turbo Streams secret (pass --turbo-streams-secret or "
                                    "--streams-secret)"
                                  : "no streams secret (pass --streams-secret)"};
  }
  return auth::SignStream(stream, secret);
}

// ---- The walk ----

void ScriptClient::Begin(int64_t at_ns) {
  wait_ = Wait::kStart;
  Arm(at_ns);
}

void ScriptClient::Stop() {
  ++timer_gen_;
  timer_.cancel();
}

void ScriptClient::Arm(int64_t at_ns) {
  const uint64_t gen = ++timer_gen_;
  timer_.expires_after(std::chrono::nanoseconds(std::max<int64_t>(0, at_ns - NowNs())));
  timer_.async_wait([this, gen](const boost::system::error_code& ec) {
    if (!ec && gen == timer_gen_) OnTimer();
  });
}

void ScriptClient::ScheduleResume() {
  // Connection callbacks run in the middle of parsing a read; the next
  // steps (a close, a new connect) must not pull the socket from under it.
  wait_ = Wait::kResuming;
  boost::asio::post(driver_.loop().io(), [this] {
    if (wait_ != Wait::kResuming) return;
    wait_ = Wait::kNone;
    Resume();
  });
}

void ScriptClient::Yield() {
  wait_ = Wait::kYield;
  boost::asio::post(driver_.loop().io(), [this] {
    if (wait_ != Wait::kYield) return;
    wait_ = Wait::kNone;
    Run();
  });
}

void ScriptClient::Run() {
  while (wait_ == Wait::kNone) {
    Frame& f = frames_[depth_];
    if (f.pc >= f.steps->size()) {
      if (depth_ == 0) return Finish();
      const LoopSpec& l = *f.loop;
      ++f.iteration;
      const int64_t now = NowNs();
      const int64_t every = Ns(l.every);
      const int64_t due = every > 0 ? f.t0_ns + f.iteration * every : now;
      bool more = l.count == 0 || f.iteration < l.count;
      if (l.duration.count() > 0 && due - f.t0_ns >= Ns(l.duration)) more = false;
      if (!more) {
        --depth_;
        Next();
        continue;
      }
      f.pc = 0;
      if (every > 0) {
        due_ns_ = due;
        if (due > now) {
          wait_ = Wait::kStart;
          Arm(due);
          return;
        }
      } else {
        due_ns_ = 0;
      }
      // An untimed (or late) iteration gives the loop's sockets their turn
      // before the next one: a tight loop must not keep the thread.
      return Yield();
    }
    const ScriptStep& s = (*f.steps)[f.pc];
    const Started r = Start(s);
    if (wait_ != Wait::kNone) {
      due_ns_ = 0;  // a send after a wait is stamped when it leaves
      return;
    }
    if (r == Started::kDone) Next();
  }
}

void ScriptClient::Next() {
  Frame& f = frames_[depth_];
  ++f.pc;
  if (depth_ == 0) TopStepDone(f.pc - 1);
}

void ScriptClient::TopStepDone(size_t index) {
  top_done_ = index + 1;
  const auto& last = group_spec_.last_send_step;
  for (size_t m = 0; m < last.size(); ++m) {
    if (last[m] == static_cast<int>(index))
      shared_.metric(static_cast<int>(m)).pending_senders.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ScriptClient::Finish(std::string_view reason) {
  if (wait_ == Wait::kDone) return;
  wait_ = Wait::kDone;
  ++timer_gen_;
  failed_ = !reason.empty();
  // Sends this client will not make any more.
  const auto& last = group_spec_.last_send_step;
  for (size_t m = 0; m < last.size(); ++m) {
    if (last[m] >= static_cast<int>(top_done_))
      shared_.metric(static_cast<int>(m)).pending_senders.fetch_sub(1, std::memory_order_acq_rel);
  }
  top_done_ = group_spec_.steps.size();
  shared_.barrier().Leave();
  shared_.clients_done.fetch_add(1, std::memory_order_acq_rel);
}

void ScriptClient::Fail(std::string_view reason, Ending ending) {
  if (wait_ == Wait::kDone) return;
  driver_.CountEnding(reason, ending);
  Finish(reason);
}

ScriptClient::Started ScriptClient::Start(const ScriptStep& s) {
  return std::visit(
      [&](const auto& a) -> Started {
        using T = std::decay_t<decltype(a)>;
        const int64_t now = NowNs();
        if constexpr (std::is_same_v<T, conformance::ConnectStep>) {
          return StartConnect(a);
        } else if constexpr (std::is_same_v<T, conformance::SubscribeStep>) {
          if (!Send(s)) return Started::kWaiting;
          if (a.expect == conformance::SubscribeStep::Expect::kNone) return Started::kDone;
          wait_ = Wait::kConfirm;
          wait_started_ns_ = now;
          Arm(now + Ns(a.timeout.value_or(shared_.script().timeout)));
          return Started::kWaiting;
        } else if constexpr (std::is_same_v<T, HistoryStep>) {
          if (!Send(s)) return Started::kWaiting;
          wait_ = Wait::kHistory;
          wait_started_ns_ = now;
          Arm(now + Ns(a.timeout.value_or(shared_.script().timeout)));
          return Started::kWaiting;
        } else if constexpr (std::is_same_v<T, conformance::BroadcastStep>) {
          const auto* parts = Prepared(s);
          if (!parts) return Started::kWaiting;
          std::string body = Spliced(s, *parts, now);
          const int metric =
              s.metric >= 0 ? s.metric : static_cast<int>(shared_.script().metrics.size());
          if (s.metric >= 0) ++own_sent_[static_cast<size_t>(s.metric)];
          shared_.publisher()->Post(metric, std::move(body));
          return Started::kDone;
        } else if constexpr (std::is_same_v<T, ReceiveSpec>) {
          return StartReceive(a);
        } else if constexpr (std::is_same_v<T, conformance::SleepStep>) {
          wait_ = Wait::kSleep;
          Arm(now + Ns(a.duration));
          return Started::kWaiting;
        } else if constexpr (std::is_same_v<T, conformance::WaitAllStep>) {
          wait_ = Wait::kBarrier;
          barrier_generation_ = shared_.barrier().Arrive();
          return Started::kWaiting;
        } else if constexpr (std::is_same_v<T, conformance::CloseStep>) {
          conn_.Abort();
          connected_ = false;
          return Started::kDone;
        } else if constexpr (std::is_same_v<T, LoopSpec>) {
          Frame& f = frames_[++depth_];
          f = Frame{&a.steps, 0, &a, 0, now};
          if (a.every.count() > 0) due_ns_ = now;
          return Started::kEntered;
        } else {
          // perform, whisper, unsubscribe, join, leave: one command.
          return Send(s) ? Started::kDone : Started::kWaiting;
        }
      },
      s.action);
}

ScriptClient::Started ScriptClient::StartConnect(const conformance::ConnectStep& a) {
  const BenchOptions& o = shared_.options().bench;
  if (connected_) {
    conn_.Abort();
    connected_ = false;
  }
  const size_t q = o.target.find('?');
  std::string path = o.target.substr(0, q);
  std::string query = q == std::string::npos ? "" : o.target.substr(q + 1);
  std::string headers;
  auto fail = [&](const std::string& why) {
    Fail("render: " + why.substr(0, 120), Ending::kStep);
    return Started::kWaiting;
  };
  if (a.path) {
    auto p = a.path->RenderText(*this);
    if (!p.ok()) return fail(p.error().message);
    path = *p;
  }
  auto add = [&](const std::string& k, const std::string& v) {
    query += (query.empty() ? "" : "&") + PercentEncode(k) + "=" + PercentEncode(v);
  };
  for (const auto& [k, v] : a.query) {
    auto r = v.Render(*this);
    if (!r.ok()) return fail(r.error().message);
    add(k, AsText(*r));
  }
  if (a.raw_query) {
    auto r = a.raw_query->RenderText(*this);
    if (!r.ok()) return fail(r.error().message);
    query += (query.empty() ? "" : "&") + *r;
  }
  std::vector<std::string> protocols =
      a.subprotocols.value_or(std::vector<std::string>{o.subprotocol});
  for (const auto& [k, v] : a.headers) {
    auto r = v.RenderText(*this);
    if (!r.ok()) return fail(r.error().message);
    headers += k + ": " + *r + "\r\n";
  }
  if (!a.cookies.empty()) {
    std::string cookie;
    for (const auto& [k, v] : a.cookies) {
      auto r = v.RenderText(*this);
      if (!r.ok()) return fail(r.error().message);
      cookie += (cookie.empty() ? "" : "; ") + k + "=" + *r;
    }
    headers += "Cookie: " + cookie + "\r\n";
  }
  if (a.token) {
    const conformance::TokenSpec& t = *a.token;
    std::string token;
    if (t.raw) {
      auto r = t.raw->RenderText(*this);
      if (!r.ok()) return fail(r.error().message);
      token = *r;
    } else {
      auto ids = t.identifiers->Render(*this);
      if (!ids.ok()) return fail(ids.error().message);
      std::string secret = o.jwt_secret;
      if (t.secret) {
        auto r = t.secret->RenderText(*this);
        if (!r.ok()) return fail(r.error().message);
        secret = *r;
      }
      if (secret.empty()) return fail("no JWT secret to sign the token (pass --jwt-secret)");
      std::optional<int64_t> exp;
      if (t.expires_in) {
        exp = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count() +
              *t.expires_in;
      }
      auto minted = auth::jwt::Encode(ids->is_string() ? ids->get<std::string>() : Dump(*ids),
                                      secret, *auth::jwt::ParseAlgorithm(t.algorithm), exp);
      if (!minted.ok()) return fail("cannot mint the token: " + minted.error().message);
      token = *minted;
    }
    switch (t.place) {
      case conformance::TokenPlace::kQuery:
        add(t.param, token);
        break;
      case conformance::TokenPlace::kHeader:
        headers += "X-" + Upper(t.param) + ": " + token + "\r\n";
        break;
      case conformance::TokenPlace::kSubprotocol:
        protocols.push_back("anycable-token." + token);
        break;
    }
  }
  std::string req = "GET " + path + (query.empty() ? "" : "?" + query) + " HTTP/1.1\r\n";
  req += "Host: " + o.host + ":" + std::to_string(o.port) + "\r\n";
  req += "Upgrade: websocket\r\nConnection: Upgrade\r\n";
  // The key only proves the server speaks WebSocket; a fixed one is enough.
  req += "Sec-WebSocket-Key: Y2FibGUtYmVuY2gta2V5MQ==\r\nSec-WebSocket-Version: 13\r\n";
  std::string list;
  for (const auto& p : protocols) list += (list.empty() ? "" : ", ") + p;
  if (!list.empty()) req += "Sec-WebSocket-Protocol: " + list + "\r\n";
  if (!o.origin.empty()) req += "Origin: " + o.origin + "\r\n";
  for (const auto& h : o.headers) req += h + "\r\n";
  req += headers + "\r\n";
  upgrade_ = std::move(req);

  const int64_t now = NowNs();
  wait_ = Wait::kConnect;
  wait_started_ns_ = now;
  const int64_t timeout =
      a.timeout ? Ns(*a.timeout) : static_cast<int64_t>(o.connect_timeout_s * 1e9);
  Arm(now + timeout);
  driver_.loop().counters.started.Add();
  conn_.Redial(now);
  return Started::kWaiting;
}

ScriptClient::Started ScriptClient::StartReceive(const ReceiveSpec& r) {
  const int64_t now = NowNs();
  wait_started_ns_ = now;
  if (r.pair >= 0) {
    if (PairedDone(r)) return Started::kDone;
    wait_ = Wait::kPaired;
    progress_ns_ = now;
    Arm(now + kPairedPollNs);
    return Started::kWaiting;
  }
  matched_ = 0;
  wait_ = Wait::kReceive;
  Arm(now + Ns(r.timeout.value_or(shared_.script().timeout)));
  return Started::kWaiting;
}

void ScriptClient::OnTimer() {
  const int64_t now = NowNs();
  switch (wait_) {
    case Wait::kStart:
      wait_ = Wait::kNone;
      return Run();
    case Wait::kSleep:
      wait_ = Wait::kNone;
      return Resume();
    case Wait::kConnect:
      // The connection reports its end (OnEnded), which ends the walk.
      conn_.TimeOut();
      if (wait_ == Wait::kDone) return;
      Tally(Current().metric, false);
      driver_.loop().counters.failed.Add();
      return Fail("timeout", Ending::kConnect);
    case Wait::kConfirm:
    case Wait::kHistory:
      Tally(Current().metric, false);
      return Fail(wait_ == Wait::kConfirm ? "subscribe_timeout" : "history_timeout", Ending::kStep);
    case Wait::kReceive: {
      const auto& r = std::get<ReceiveSpec>(Current().action);
      if (Current().metric >= 0) {
        driver_.tally(Current().metric).missing += r.count - matched_;
        Tally(Current().metric, false);
      }
      wait_ = Wait::kNone;
      return Resume();
    }
    case Wait::kPaired: {
      const auto& r = std::get<ReceiveSpec>(Current().action);
      if (PairedDone(r)) {
        wait_ = Wait::kNone;
        return Resume();
      }
      // Gives up once nothing has happened for the timeout: no receipt here,
      // no send anywhere. What did not arrive is missing in the report.
      const int64_t last_send = shared_.metric(r.pair).last_send_ns.load(std::memory_order_relaxed);
      const int64_t last = std::max({progress_ns_, wait_started_ns_, last_send});
      if (now - last >= Ns(r.timeout.value_or(shared_.script().timeout))) {
        wait_ = Wait::kNone;
        return Resume();
      }
      return Arm(now + kPairedPollNs);
    }
    default:
      return;
  }
}

void ScriptClient::ReleaseBarrier(int64_t generation) {
  if (wait_ != Wait::kBarrier || barrier_generation_ != generation) return;
  wait_ = Wait::kNone;
  Resume();
}

// ---- Connection events ----

void ScriptClient::OnWelcome() {
  if (wait_ != Wait::kConnect) return;
  const int64_t now = NowNs();
  // Connections counts clients: a reconnect is not another one.
  if (!connected_once_) driver_.loop().counters.ready.Add();
  connected_ = connected_once_ = true;
  Record(Current().metric, now - wait_started_ns_);
  Tally(Current().metric, true);
  ScheduleResume();
}

void ScriptClient::OnEnded(std::string_view reason, bool handshaking) {
  connected_ = false;
  if (wait_ == Wait::kDone) return;
  if (handshaking && wait_ == Wait::kConnect) {
    Tally(Current().metric, false);
    driver_.loop().counters.failed.Add();
    return Fail(reason, Ending::kConnect);
  }
  driver_.loop().counters.dropped.Add();
  Fail(reason, Ending::kDrop);
}

void ScriptClient::OnMessage(std::string_view payload, const ScannedMessage& m) {
  const int64_t now = NowNs();
  switch (m.kind) {
    case MessageKind::kConfirm:
    case MessageKind::kReject:
      if (wait_ == Wait::kConfirm) {
        const bool ok = m.kind == MessageKind::kConfirm;
        Record(Current().metric, now - wait_started_ns_);
        Tally(Current().metric, ok);
        if (!ok) return Fail("rejected", Ending::kStep);
        return ScheduleResume();
      }
      break;
    case MessageKind::kConfirmHistory:
    case MessageKind::kRejectHistory:
      if (wait_ == Wait::kHistory) {
        const bool ok = m.kind == MessageKind::kConfirmHistory;
        if (ok) Record(Current().metric, now - wait_started_ns_);
        Tally(Current().metric, ok);
        return ScheduleResume();
      }
      break;
    case MessageKind::kData: {
      Stamp stamp;
      if (!group_spec_.pairs.empty() && FindStamp(payload, &stamp) &&
          OnStamped(stamp, payload, now))
        return;
      break;
    }
    default:
      break;
  }
  if (wait_ == Wait::kReceive) {
    const auto& r = std::get<ReceiveSpec>(Current().action);
    if (!MatchFrame(r.pattern, r.exact, payload)) return;
    if (++matched_ < r.count) return;
    Record(Current().metric, now - wait_started_ns_);
    Tally(Current().metric, true);
    return ScheduleResume();
  }
  driver_.loop().counters.other.Add();
}

bool ScriptClient::OnStamped(const Stamp& stamp, std::string_view payload, int64_t now) {
  const auto& metrics = shared_.script().metrics;
  if (stamp.metric < 0 || static_cast<size_t>(stamp.metric) >= metrics.size()) return false;
  const int slot = group_spec_.slot_of_metric[static_cast<size_t>(stamp.metric)];
  if (slot < 0) return false;
  // Only numbers this run handed out: a stray stamp cannot grow the log.
  MetricState& state = shared_.metric(stamp.metric);
  if (stamp.seq >= state.next_seq.load(std::memory_order_relaxed)) return false;
  LoopCounters& counters = driver_.loop().counters;
  counters.received.Add();
  ReceiptLog& log = receipts_[static_cast<size_t>(slot)];
  if (stamp.client == client_) {
    ++log.own;
    return true;
  }
  const SlotSpec& spec = driver_.slot(group_, slot);
  if (!log.checked) {
    log.checked = true;
    if (!MatchFrame(spec.receive->pattern, spec.receive->exact, payload)) ++log.mismatched;
  }
  const auto seq = static_cast<uint64_t>(stamp.seq);
  const size_t word = seq / 64;
  // Grows by doubling up to the run's send count: a few times per client.
  if (word >= log.seen.size()) log.seen.resize(std::max(word + 1, log.seen.size() * 2));
  const uint64_t bit = uint64_t{1} << (seq % 64);
  if (log.seen[word] & bit) {
    ++log.duplicates;
    counters.duplicates.Add();
    return true;
  }
  log.seen[word] |= bit;
  ++log.unique;
  counters.unique.Add();
  const int64_t latency = now - stamp.ts_ns;
  if (latency > spec.timeout_ns) {
    ++log.late;
  } else {
    ++log.on_time;
  }
  driver_.histogram(stamp.metric).Record(latency);
  driver_.loop().RecordLatency(latency);
  progress_ns_ = now;
  if (wait_ == Wait::kPaired) {
    const auto& r = std::get<ReceiveSpec>(Current().action);
    if (r.slot == slot && PairedDone(r)) ScheduleResume();
  }
  return true;
}

bool ScriptClient::PairedDone(const ReceiveSpec& r) const {
  if (!shared_.SendsOver(r.pair)) return false;
  const int64_t expected = shared_.metric(r.pair).sent.load(std::memory_order_acquire) -
                           own_sent_[static_cast<size_t>(r.pair)];
  return receipts_[static_cast<size_t>(r.slot)].unique >= expected;
}

bool ScriptClient::MatchFrame(const conformance::Pattern& p, bool exact, std::string_view payload) {
  Json frame = Json::parse(payload, nullptr, false);
  if (frame.is_discarded()) return false;
  auto outcome = conformance::Match(p, frame, exact, *this);
  if (!outcome.ok) return false;
  for (auto& [k, v] : outcome.captures) captures_[k] = std::move(v);
  return true;
}

// ---- Sending ----

bool ScriptClient::Send(const ScriptStep& s) {
  if (!connected_) {
    Fail("not_connected", Ending::kStep);
    return false;
  }
  const auto* parts = Prepared(s);
  if (!parts) return false;
  const int64_t now = NowNs();
  std::string& out = driver_.loop().command_buffer();
  out.clear();
  AppendSpliced(out, s, *parts, now);
  LoopCounters& counters = driver_.loop().counters;
  const bool ok = conn_.SendText(out);
  if (s.metric >= 0) {
    MetricState& state = shared_.metric(s.metric);
    if (ok) {
      state.sent.fetch_add(1, std::memory_order_acq_rel);
      state.last_send_ns.store(now, std::memory_order_relaxed);
      ++own_sent_[static_cast<size_t>(s.metric)];
    } else {
      state.send_failed.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (ok) {
    counters.sent.Add();
    return true;
  }
  counters.send_failed.Add();
  // The connection is gone: its end was reported (and the walk ended).
  if (wait_ != Wait::kDone) Fail("send_failed", Ending::kStep);
  return false;
}

void ScriptClient::AppendSpliced(std::string& out, const ScriptStep& s,
                                 const std::vector<std::string>& parts, int64_t now) {
  Stamp stamp;
  if (parts.size() > 1) {
    stamp.metric = s.metric;
    stamp.client = client_;
    stamp.seq = shared_.metric(s.metric).next_seq.fetch_add(1, std::memory_order_relaxed);
    // A send right at the start of a timed iteration carries the time it
    // was due: a generator running late then shows up as latency instead of
    // quietly thinning the load (coordinated omission).
    stamp.ts_ns = due_ns_ > 0 && due_ns_ <= now ? due_ns_ : now;
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) AppendStamp(out, stamp);
    out += parts[i];
  }
}

std::string ScriptClient::Spliced(const ScriptStep& s, const std::vector<std::string>& parts,
                                  int64_t now) {
  std::string out;
  AppendSpliced(out, s, parts, now);
  return out;
}

const std::vector<std::string>* ScriptClient::Prepared(const ScriptStep& s) {
  for (auto& [id, parts] : prepared_) {
    if (id == s.id) return &parts;
  }
  auto text = Render(s);
  if (!text.ok()) {
    Fail("render: " + text.error().message.substr(0, 120), Ending::kStep);
    return nullptr;
  }
  prepared_.emplace_back(s.id, SplitAtSlots(*text));
  return &prepared_.back().second;
}

Result<std::string> ScriptClient::Identifier(const conformance::IdentifierSpec& id) {
  return id.Render(*this);
}

Result<std::string> ScriptClient::Render(const ScriptStep& s) {
  return std::visit(
      [&](const auto& a) -> Result<std::string> {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, conformance::SubscribeStep> ||
                      std::is_same_v<T, conformance::UnsubscribeStep> ||
                      std::is_same_v<T, conformance::PerformStep> ||
                      std::is_same_v<T, conformance::WhisperStep> ||
                      std::is_same_v<T, conformance::JoinStep> ||
                      std::is_same_v<T, conformance::LeaveStep> || std::is_same_v<T, HistoryStep>) {
          auto id = Identifier(a.id);
          if (!id.ok()) return id.error();
          Json cmd = Json::object();
          if constexpr (std::is_same_v<T, conformance::SubscribeStep>) {
            cmd = {{"command", "subscribe"}, {"identifier", *id}};
            if (a.history) {
              auto h = a.history->Render(*this);
              if (!h.ok()) return h.error();
              cmd["history"] = *h;
            }
          } else if constexpr (std::is_same_v<T, conformance::UnsubscribeStep>) {
            cmd = {{"command", "unsubscribe"}, {"identifier", *id}};
          } else if constexpr (std::is_same_v<T, HistoryStep>) {
            cmd = {{"command", "history"}, {"identifier", *id}};
            if (a.history) {
              auto h = a.history->Render(*this);
              if (!h.ok()) return h.error();
              cmd["history"] = *h;
            } else {
              cmd["history"] = {{"since", shared_.started_unix_s()}};
            }
          } else if constexpr (std::is_same_v<T, conformance::PerformStep>) {
            cmd = {{"command", "message"}, {"identifier", *id}};
            if (a.raw_data) {
              auto d = a.raw_data->Render(*this);
              if (!d.ok()) return d.error();
              cmd["data"] = *d;
            } else {
              Json data = Json::object();
              if (a.action) {
                auto action = a.action->RenderText(*this);
                if (!action.ok()) return action.error();
                data["action"] = *action;
              }
              for (const auto& [k, v] : a.data) {
                auto r = v.Render(*this);
                if (!r.ok()) return r.error();
                data[k] = *r;
              }
              cmd["data"] = Dump(data);
            }
          } else if constexpr (std::is_same_v<T, conformance::WhisperStep>) {
            auto d = a.data.Render(*this);
            if (!d.ok()) return d.error();
            cmd = {{"command", "whisper"}, {"identifier", *id}, {"data", *d}};
          } else if constexpr (std::is_same_v<T, conformance::JoinStep>) {
            Json presence = Json::object();
            if (a.presence) {
              auto p = a.presence->Render(*this);
              if (!p.ok()) return p.error();
              presence = *p;
            } else {
              if (a.presence_id) {
                auto v = a.presence_id->Render(*this);
                if (!v.ok()) return v.error();
                presence["id"] = *v;
              }
              if (a.info) {
                auto v = a.info->Render(*this);
                if (!v.ok()) return v.error();
                presence["info"] = *v;
              }
            }
            cmd = {{"command", "join"}, {"identifier", *id}, {"presence", presence}};
          } else {
            cmd = {{"command", "leave"}, {"identifier", *id}};
          }
          return Dump(cmd);
        } else if constexpr (std::is_same_v<T, conformance::BroadcastStep>) {
          std::vector<broadcast::Publication> list;
          for (const auto& spec : a.publications) {
            broadcast::Publication p;
            auto stream = spec.stream.Render(*this);
            if (!stream.ok()) return stream.error();
            p.stream = AsText(*stream);
            auto data = spec.data.Render(*this);
            if (!data.ok()) return data.error();
            p.data = spec.raw_data ? AsText(*data) : Dump(*data);
            if (spec.exclude_socket) {
              auto ex = spec.exclude_socket->Render(*this);
              if (!ex.ok()) return ex.error();
              p.exclude_socket = AsText(*ex);
            }
            list.push_back(std::move(p));
          }
          return a.batch ? broadcast::ToJson(list) : broadcast::ToJson(list.at(0));
        } else {
          return Error{"internal", "step " + s.keyword + " sends nothing"};
        }
      },
      s.action);
}

void ScriptClient::Record(int metric, int64_t ns) {
  if (metric >= 0) driver_.histogram(metric).Record(ns);
}

void ScriptClient::Tally(int metric, bool ok) {
  if (metric < 0) return;
  StepTally& t = driver_.tally(metric);
  ++t.count;
  if (ok) {
    ++t.ok;
  } else {
    ++t.failed;
  }
}

}  // namespace cable::bench::script
