#include "server/broker/nats_broker.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "common/auth/base64.h"
#include "common/log.h"
#include "common/random_id.h"
#include "server/broker/history_rules.h"
#include "server/redis/backoff.h"
#include "server/redis/outage_log.h"

namespace cable::server {

namespace {

constexpr const char* kSessionsBucket = "_anycable_";
constexpr const char* kEpochBucket = "_anycable_epoch_";
constexpr const char* kEpochKey = "_epoch_";
constexpr const char* kStreamPrefix = "_ac_";
constexpr int64_t kRequestWaitMs = 5000;
constexpr int64_t kNanosPerSecond = 1'000'000'000;

// anycable-go names the JetStream stream `_ac_<stream>`; JetStream refuses
// names with dots, wildcards, spaces or slashes, which stream names often
// have ("chat/42"). Those are written `_ac_=<base64url of the name>` — a
// form no name used as is can take, and one anycable-go could not have
// stored anyway.
std::string JetStreamName(const std::string& stream) {
  const bool plain =
      !stream.empty() && std::all_of(stream.begin(), stream.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-';
      });
  return plain ? kStreamPrefix + stream
               : std::string(kStreamPrefix) + "=" + auth::Base64UrlEncode(stream);
}

std::string Why(natsStatus s, jsErrCode code = static_cast<jsErrCode>(0)) {
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  std::string text =
      detail != nullptr && *detail != '\0' && last == s ? detail : natsStatus_GetText(s);
  if (code != 0) text += fmt::format(" (JetStream error {})", static_cast<int>(code));
  return text;
}

}  // namespace

NatsBroker::NatsBroker(NatsSettings settings, BrokerLimits limits)
    : settings_(std::move(settings)),
      limits_(limits),
      conn_("NATS broker", nullptr),
      queue_("NATS broker", kMaxBrokerQueue) {}

NatsBroker::~NatsBroker() {
  Stop();
}

Status NatsBroker::Start() {
  if (Status s = conn_.Connect(settings_); !s.ok()) return s;
  thread_ = std::thread([this] { Run(); });
  queue_.WaitAttempted(kBrokerFirstAttempt);
  return Status::Ok();
}

void NatsBroker::Stop() {
  stopping_ = true;
  queue_.waker().Notify();
  if (thread_.joinable()) thread_.join();
  conn_.Close();
}

std::string NatsBroker::Describe() const {
  return fmt::format("nats JetStream at {} (history {} messages for {} s, sessions kept {} s)",
                     settings_.servers, limits_.history_limit, limits_.history_ttl_s,
                     limits_.sessions_ttl_s);
}

void NatsBroker::Enqueue(Job job) {
  switch (queue_.Push(job)) {
    case JobQueue<Job>::Refusal::kNone:
      return;
    case JobQueue<Job>::Refusal::kClosed: {
      Error e = BrokerUnavailable("NATS JetStream at " + settings_.servers + " is unreachable");
      return job(&e);
    }
    case JobQueue<Job>::Refusal::kFull: {
      Error e = BrokerUnavailable("too many requests wait for NATS");
      return job(&e);
    }
  }
}

// ---------------------------------------------------------------- setup

Status NatsBroker::Prepare() {
  natsConnection* nc = conn_.raw();
  if (nc == nullptr || natsConnection_Status(nc) != NATS_CONN_STATUS_CONNECTED) {
    return BrokerUnavailable("not connected to NATS");
  }
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = kRequestWaitMs;
  if (natsStatus s = natsConnection_JetStream(&js_, nc, &options); s != NATS_OK) {
    return BrokerUnavailable("JetStream: " + Why(s));
  }
  auto bucket = [this](kvStore** out, const char* name, int64_t ttl_s) -> Status {
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = name;
    cfg.History = 1;
    cfg.TTL = ttl_s * kNanosPerSecond;  // libnats takes nanoseconds here
    natsStatus s = js_CreateKeyValue(out, js_, &cfg);
    // A bucket made by another node (or an earlier run) is used as it is.
    if (s != NATS_OK) s = js_KeyValue(out, js_, name);
    if (s != NATS_OK)
      return BrokerUnavailable(fmt::format("JetStream bucket {}: {}", name, Why(s)));
    return Status::Ok();
  };
  const int64_t epoch_ttl = 10 * std::max(limits_.history_ttl_s, limits_.sessions_ttl_s);
  if (Status s = bucket(&epochs_, kEpochBucket, epoch_ttl); !s.ok()) return s;
  if (limits_.sessions_ttl_s > 0) {
    if (Status s = bucket(&sessions_, kSessionsBucket, limits_.sessions_ttl_s); !s.ok()) return s;
  }
  // The first node to get here sets the epoch; the others read it.
  const std::string fresh = RandomId(4);
  uint64_t revision = 0;
  natsStatus created = kvStore_CreateString(&revision, epochs_, kEpochKey, fresh.c_str());
  if (created == NATS_OK) {
    epoch_ = fresh;
    return Status::Ok();
  }
  return RefreshEpoch();
}

Status NatsBroker::RefreshEpoch() {
  kvEntry* entry = nullptr;
  natsStatus s = kvStore_Get(&entry, epochs_, kEpochKey);
  if (s == NATS_NOT_FOUND) {
    // Lost (expired, or a server that lost its data): choose a new one.
    const std::string fresh = RandomId(4);
    uint64_t revision = 0;
    if (kvStore_CreateString(&revision, epochs_, kEpochKey, fresh.c_str()) == NATS_OK) {
      epoch_ = fresh;
      return Status::Ok();
    }
    s = kvStore_Get(&entry, epochs_, kEpochKey);
  }
  if (s != NATS_OK) return BrokerUnavailable("reading the epoch: " + Why(s));
  epoch_.assign(static_cast<const char*>(kvEntry_Value(entry)),
                static_cast<size_t>(kvEntry_ValueLen(entry)));
  kvEntry_Destroy(entry);
  return Status::Ok();
}

void NatsBroker::Release() {
  if (sessions_) kvStore_Destroy(sessions_);
  if (epochs_) kvStore_Destroy(epochs_);
  if (js_) jsCtx_Destroy(js_);
  sessions_ = epochs_ = nullptr;
  js_ = nullptr;
  known_streams_.clear();
}

Status NatsBroker::EnsureStream(const std::string& stream) {
  if (known_streams_.count(stream)) return Status::Ok();
  const std::string name = JetStreamName(stream);
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = name.c_str();
  cfg.MaxMsgs = static_cast<int64_t>(limits_.history_limit);
  cfg.MaxAge = limits_.history_ttl_s * kNanosPerSecond;
  cfg.Replicas = 1;
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&info, js_, &cfg, nullptr, &code);
  if (info) jsStreamInfo_Destroy(info);
  if (s != NATS_OK && code != JSStreamNameExistErr) {
    return BrokerUnavailable(fmt::format("JetStream stream {}: {}", name, Why(s, code)));
  }
  known_streams_.insert(stream);
  return Status::Ok();
}

void NatsBroker::Run() {
  Backoff backoff;
  OutageLog outage("NATS broker");
  Waker& waker = queue_.waker();
  while (!stopping_) {
    Status ready = Prepare();
    if (!ready.ok()) {
      Release();
      if (stopping_) break;
      outage.Down(ready.error().message);
      queue_.MarkAttempted();
      waker.WaitFor(backoff.Next());
      waker.Drain();
      continue;
    }
    outage.Up("storing history and sessions in JetStream (epoch " + epoch_ + ")");
    queue_.SetOpen(true);
    queue_.MarkAttempted();
    backoff.Reset();
    while (!stopping_) {
      auto jobs = queue_.Take(64);
      if (jobs.empty()) {
        waker.WaitFor(std::chrono::seconds(1));
        waker.Drain();
      }
      for (auto& job : jobs) {
        // A request while libnats reconnects would wait its whole timeout.
        if (natsConnection_Status(conn_.raw()) == NATS_CONN_STATUS_CONNECTED) {
          job(nullptr);
        } else {
          Error lost = BrokerUnavailable("the connection to NATS was lost");
          job(&lost);
        }
      }
      if (natsConnection_Status(conn_.raw()) != NATS_CONN_STATUS_CONNECTED) break;
    }
    Error lost = BrokerUnavailable("the connection to NATS was lost");
    for (auto& job : queue_.SetOpen(false)) job(&lost);
    Release();
    if (stopping_) break;
    outage.Down(lost.message);
  }
  Error stopping = BrokerUnavailable("the server is stopping");
  for (auto& job : queue_.SetOpen(false)) job(&stopping);
  Release();
}

// ---------------------------------------------------------------- requests

void NatsBroker::Store(BroadcastPtr broadcast, StoreDone done) {
  Enqueue([this, broadcast = std::move(broadcast), done = std::move(done)](const Error* error) {
    if (error) return done(*error);
    if (Status s = EnsureStream(broadcast->stream); !s.ok()) return done(s.error());
    const std::string subject = JetStreamName(broadcast->stream);
    jsPubAck* ack = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_Publish(&ack, js_, subject.c_str(), broadcast->data.data(),
                              static_cast<int>(broadcast->data.size()), nullptr, &code);
    if (s != NATS_OK) {
      // The stream may be gone (a server that lost its data): set it up
      // again with the next message.
      known_streams_.erase(broadcast->stream);
      return done(BrokerUnavailable("JetStream publish: " + Why(s, code)));
    }
    const uint64_t offset = ack->Sequence;
    jsPubAck_Destroy(ack);
    done(WithPosition(*broadcast, offset, epoch_));
  });
}

Status NatsBroker::CollectStream(const StreamHistoryQuery& q, std::vector<BroadcastPtr>& out) {
  const std::string name = JetStreamName(q.stream);
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, js_, name.c_str(), nullptr, &code);
  const bool known = s == NATS_OK;
  if (!known && code != JSStreamNotFoundErr && s != NATS_NOT_FOUND) {
    return BrokerUnavailable("JetStream stream info: " + Why(s, code));
  }
  uint64_t first = 0, last = 0;
  if (known) {
    if (info->State.Msgs > 0) first = info->State.FirstSeq;
    last = info->State.LastSeq;
    jsStreamInfo_Destroy(info);
  }
  uint64_t from = first;
  if (q.from) {
    if (Status st = CheckReplayable(*q.from, epoch_, known, last, first); !st.ok()) return st;
    from = q.from->offset + 1;
  } else if (!known) {
    return Status::Ok();
  }
  for (uint64_t seq = std::max<uint64_t>(from, 1); first > 0 && seq <= last; ++seq) {
    natsMsg* msg = nullptr;
    s = js_GetMsg(&msg, js_, name.c_str(), seq, nullptr, &code);
    if (s != NATS_OK) {
      if (code == JSNoMessageFoundErr || s == NATS_NOT_FOUND) continue;  // removed meanwhile
      return BrokerUnavailable("JetStream get: " + Why(s, code));
    }
    const int64_t stored_at = natsMsg_GetTime(msg) / kNanosPerSecond;
    if (q.from || stored_at >= q.since) {
      auto b = MakeBroadcast(
          q.stream,
          std::string(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg))));
      b->offset = seq;
      b->epoch = epoch_;
      out.push_back(std::move(b));
    }
    natsMsg_Destroy(msg);
  }
  return Status::Ok();
}

void NatsBroker::History(std::vector<StreamHistoryQuery> query, HistoryDone done) {
  Enqueue([this, query = std::move(query), done = std::move(done)](const Error* error) {
    if (error) return done(*error);
    // Another node may have chosen a new epoch since.
    if (Status s = RefreshEpoch(); !s.ok()) return done(s.error());
    done(CollectHistory(
        query, [this](const StreamHistoryQuery& q, size_t, std::vector<BroadcastPtr>& out) {
          return CollectStream(q, out);
        }));
  });
}

void NatsBroker::SaveSession(const std::string& sid, std::string snapshot) {
  Enqueue([this, sid, snapshot = std::move(snapshot)](const Error* error) {
    if (error || sessions_ == nullptr) return;
    uint64_t revision = 0;
    kvStore_Put(&revision, sessions_, sid.c_str(), snapshot.data(),
                static_cast<int>(snapshot.size()));
  });
}

// KV entries expire by the bucket's TTL from their last write, so a touch
// writes the value again.
void NatsBroker::TouchSessions(std::vector<std::string> sids) {
  Enqueue([this, sids = std::move(sids)](const Error* error) {
    if (error || sessions_ == nullptr) return;
    for (const auto& sid : sids) {
      kvEntry* entry = nullptr;
      if (kvStore_Get(&entry, sessions_, sid.c_str()) != NATS_OK) continue;
      uint64_t revision = 0;
      kvStore_Put(&revision, sessions_, sid.c_str(), kvEntry_Value(entry), kvEntry_ValueLen(entry));
      kvEntry_Destroy(entry);
    }
  });
}

void NatsBroker::FetchSession(const std::string& sid, SessionDone done) {
  Enqueue([this, sid, done = std::move(done)](const Error* error) {
    if (error) return done(*error);
    if (sessions_ == nullptr) return done(std::optional<std::string>());
    kvEntry* entry = nullptr;
    natsStatus s = kvStore_Get(&entry, sessions_, sid.c_str());
    if (s == NATS_NOT_FOUND) return done(std::optional<std::string>());
    // Keys the bucket cannot hold (characters NATS refuses) match nothing.
    if (s == NATS_INVALID_ARG) return done(std::optional<std::string>());
    if (s != NATS_OK) return done(BrokerUnavailable("reading a session: " + Why(s)));
    std::string value(static_cast<const char*>(kvEntry_Value(entry)),
                      static_cast<size_t>(kvEntry_ValueLen(entry)));
    kvEntry_Destroy(entry);
    done(std::optional<std::string>(std::move(value)));
  });
}

}  // namespace cable::server
