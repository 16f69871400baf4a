#include "server/broker/redis_broker.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>

#include "common/log.h"
#include "common/random_id.h"
#include "server/broker/history_rules.h"
#include "server/redis/backoff.h"
#include "server/redis/outage_log.h"

namespace cable::server {

namespace {

constexpr const char* kEpochKey = "_anycable_:epoch";
constexpr const char* kHistoryPrefix = "_anycable_:history:";
constexpr const char* kOffsetPrefix = "_anycable_:offset:";
constexpr const char* kSessionPrefix = "_anycable_:session:";
// Jobs per pipelined round trip.
constexpr size_t kBatch = 256;
constexpr auto kReplyTimeout = std::chrono::seconds(5);
// How often expired presence records are looked for.
constexpr auto kSweepInterval = std::chrono::seconds(1);

// KEYS: history stream, offset counter, epoch.
// ARGV: data, sid to skip (may be empty), history limit, history ttl,
//       a fresh epoch in case none is set, and the stream name when the
//       message is to be published to the Redis pub/sub (else empty).
// A lost counter (its stream survived) resumes from the stream's last id,
// so an offset is never given twice within an epoch.
constexpr const char* kStoreScript = R"lua(
local epoch = redis.call('GET', KEYS[3])
if not epoch then
  redis.call('SET', KEYS[3], ARGV[5])
  epoch = ARGV[5]
end
if redis.call('EXISTS', KEYS[2]) == 0 then
  local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
  local base = 0
  if #last > 0 then base = tonumber(string.match(last[1][1], '-(%d+)$')) end
  redis.call('SET', KEYS[2], base)
end
local offset = redis.call('INCR', KEYS[2])
local now = redis.call('TIME')[1]
if ARGV[2] == '' then
  redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[3], '0-' .. offset, 't', now, 'd', ARGV[1])
else
  redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[3], '0-' .. offset, 't', now, 'd', ARGV[1], 'x', ARGV[2])
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]) * 10)
if ARGV[6] ~= '' then
  local message = {stream = ARGV[6], data = ARGV[1], offset = offset, epoch = epoch}
  if ARGV[2] ~= '' then message.meta = {exclude_socket = ARGV[2]} end
  redis.call('PUBLISH', ARGV[6], cjson.encode(message))
end
return {offset, epoch}
)lua";

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool ParseUint(std::string_view s, uint64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// One message of a history stream: id `0-<offset>`, fields t, d, x.
struct KeptMessage {
  uint64_t offset = 0;
  int64_t stored_at = 0;
  std::string_view data, exclude;
};

bool ParseEntry(const redisReply* e, KeptMessage* out) {
  if (e->type != REDIS_REPLY_ARRAY || e->elements != 2) return false;
  std::string_view id = ReplyString(e->element[0]);
  auto dash = id.find('-');
  if (dash == std::string_view::npos || !ParseUint(id.substr(dash + 1), &out->offset)) return false;
  const redisReply* fields = e->element[1];
  if (fields->type != REDIS_REPLY_ARRAY) return false;
  bool has_data = false;
  for (size_t i = 0; i + 1 < fields->elements; i += 2) {
    std::string_view name = ReplyString(fields->element[i]);
    std::string_view value = ReplyString(fields->element[i + 1]);
    uint64_t t = 0;
    if (name == "t" && ParseUint(value, &t)) out->stored_at = static_cast<int64_t>(t);
    if (name == "d") out->data = value, has_data = true;
    if (name == "x") out->exclude = value;
  }
  return has_data;
}

// Replays one stream from its replies (offset counter, XRANGE) by the rules
// every broker shares.
Status CollectStream(const StreamHistoryQuery& q, const std::string& epoch,
                     const redisReply* counter, const redisReply* range, int64_t oldest_alive,
                     std::vector<BroadcastPtr>& out) {
  if (range->type != REDIS_REPLY_ARRAY) return BrokerUnavailable("Redis answered XRANGE oddly");
  std::vector<KeptMessage> kept;
  for (size_t i = 0; i < range->elements; ++i) {
    KeptMessage m;
    if (!ParseEntry(range->element[i], &m))
      return BrokerUnavailable("a history entry is malformed");
    if (m.stored_at >= oldest_alive) kept.push_back(m);
  }
  uint64_t after = 0;
  if (q.from) {
    uint64_t latest = 0;
    const bool known = counter->type == REDIS_REPLY_STRING;
    if (known && !ParseUint(ReplyString(counter), &latest)) {
      return BrokerUnavailable("an offset counter is not a number");
    }
    const uint64_t lowest = kept.empty() ? 0 : kept.front().offset;
    if (auto s = CheckReplayable(*q.from, epoch, known, latest, lowest); !s.ok()) return s;
    after = q.from->offset;
  }
  for (const auto& m : kept) {
    if (q.from ? m.offset <= after : m.stored_at < q.since) continue;
    auto b = MakeBroadcast(q.stream, std::string(m.data), std::string(m.exclude));
    b->offset = m.offset;
    b->epoch = epoch;
    out.push_back(std::move(b));
  }
  return Status::Ok();
}

}  // namespace

RedisBroker::RedisBroker(broadcast::RedisUrl url, BrokerLimits limits, bool publishes)
    : url_(std::move(url)),
      limits_(limits),
      publishes_(publishes),
      queue_("Redis broker", kMaxBrokerQueue) {}

RedisBroker::~RedisBroker() {
  Stop();
}

Status RedisBroker::Start() {
  thread_ = std::thread([this] { Run(); });
  queue_.WaitAttempted(kBrokerFirstAttempt);
  return Status::Ok();
}

void RedisBroker::Stop() {
  stopping_ = true;
  queue_.waker().Notify();
  if (thread_.joinable()) thread_.join();
}

std::string RedisBroker::Describe() const {
  return fmt::format(
      "redis at {} (history {} messages for {} s, sessions kept {} s, presence {} s)",
      url_.Authority(), limits_.history_limit, limits_.history_ttl_s, limits_.sessions_ttl_s,
      limits_.presence_ttl_s);
}

void RedisBroker::Enqueue(Job job) {
  switch (queue_.Push(job)) {
    case JobQueue<Job>::Refusal::kNone:
      return;
    case JobQueue<Job>::Refusal::kClosed:
      if (job.done) job.done(BrokerUnavailable("Redis at " + url_.Authority() + " is unreachable"));
      return;
    case JobQueue<Job>::Refusal::kFull:
      if (job.done) job.done(BrokerUnavailable("too many requests wait for Redis"));
      return;
  }
}

void RedisBroker::Store(BroadcastPtr broadcast, StoreDone done) {
  Job job;
  const std::string& stream = broadcast->stream;
  job.commands.push_back(
      {"EVAL", kStoreScript, "3", kHistoryPrefix + stream, kOffsetPrefix + stream, kEpochKey,
       broadcast->data, broadcast->exclude_socket, std::to_string(limits_.history_limit),
       std::to_string(limits_.history_ttl_s), RandomId(4), publishes_ ? stream : std::string()});
  job.done = [broadcast = std::move(broadcast), done = std::move(done)](Result<Replies> replies) {
    if (!replies.ok()) return done(replies.error());
    const redisReply* r = (*replies)[0].get();
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_INTEGER) {
      return done(BrokerUnavailable(
          fmt::format("Redis could not store the message: {}", ReplyString(r).substr(0, 200))));
    }
    done(WithPosition(*broadcast, static_cast<uint64_t>(r->element[0]->integer),
                      std::string(ReplyString(r->element[1]))));
  };
  Enqueue(std::move(job));
}

void RedisBroker::History(std::vector<StreamHistoryQuery> query, HistoryDone done) {
  Job job;
  job.commands.push_back({"GET", kEpochKey});
  for (const auto& q : query) {
    job.commands.push_back({"GET", kOffsetPrefix + q.stream});
    job.commands.push_back({"XRANGE", kHistoryPrefix + q.stream, "-", "+"});
  }
  const int64_t oldest_alive = NowSeconds() - limits_.history_ttl_s;
  job.done = [query = std::move(query), done = std::move(done),
              oldest_alive](Result<Replies> replies) {
    if (!replies.ok()) return done(replies.error());
    const std::string epoch(ReplyString((*replies)[0].get()));
    done(CollectHistory(query,
                        [&](const StreamHistoryQuery& q, size_t i, std::vector<BroadcastPtr>& out) {
                          return CollectStream(q, epoch, (*replies)[1 + 2 * i].get(),
                                               (*replies)[2 + 2 * i].get(), oldest_alive, out);
                        }));
  };
  Enqueue(std::move(job));
}

void RedisBroker::Tail(const std::string& stream, TailDone done) {
  Job job;
  job.commands.push_back({"GET", kEpochKey});
  job.commands.push_back({"GET", kOffsetPrefix + stream});
  job.done = [done = std::move(done)](Result<Replies> replies) {
    if (!replies.ok()) return done(replies.error());
    const redisReply* epoch = (*replies)[0].get();
    const redisReply* counter = (*replies)[1].get();
    if (epoch->type != REDIS_REPLY_STRING || counter->type != REDIS_REPLY_STRING) {
      return done(std::optional<StreamPosition>());
    }
    uint64_t offset = 0;
    if (!ParseUint(ReplyString(counter), &offset)) {
      return done(BrokerUnavailable("an offset counter is not a number"));
    }
    if (offset == 0) return done(std::optional<StreamPosition>());
    done(std::optional<StreamPosition>(StreamPosition{offset, std::string(ReplyString(epoch))}));
  };
  Enqueue(std::move(job));
}

void RedisBroker::SaveSession(const std::string& sid, std::string snapshot) {
  Job job;
  job.commands.push_back({"SET", kSessionPrefix + sid, std::move(snapshot), "EX",
                          std::to_string(limits_.sessions_ttl_s)});
  Enqueue(std::move(job));
}

void RedisBroker::TouchSessions(std::vector<std::string> sids) {
  Job job;
  for (const auto& sid : sids) {
    job.commands.push_back(
        {"EXPIRE", kSessionPrefix + sid, std::to_string(limits_.sessions_ttl_s)});
  }
  Enqueue(std::move(job));
}

void RedisBroker::FetchSession(const std::string& sid, SessionDone done) {
  Job job;
  job.commands.push_back({"GET", kSessionPrefix + sid});
  job.done = [done = std::move(done)](Result<Replies> replies) {
    if (!replies.ok()) return done(replies.error());
    const redisReply* r = (*replies)[0].get();
    if (r->type == REDIS_REPLY_NIL) return done(std::optional<std::string>());
    if (r->type != REDIS_REPLY_STRING) return done(BrokerUnavailable("Redis answered GET oddly"));
    done(std::optional<std::string>(std::string(r->str, r->len)));
  };
  Enqueue(std::move(job));
}

void RedisBroker::CloseQueue(const std::string& why) {
  for (auto& job : queue_.SetOpen(false)) {
    if (job.done) job.done(BrokerUnavailable(why));
  }
}

void RedisBroker::Run() {
  RedisConnection conn(url_);
  Backoff backoff;
  OutageLog outage("Redis broker");
  Waker& waker = queue_.waker();
  while (!stopping_) {
    Status ready = conn.Connect();
    if (!ready.ok()) {
      if (stopping_) break;
      outage.Down(ready.error().message);
      queue_.MarkAttempted();
      waker.WaitFor(backoff.Next());
      waker.Drain();
      continue;
    }
    outage.Up("storing history and sessions at " + conn.Authority());
    queue_.SetOpen(true);
    queue_.MarkAttempted();
    backoff.Reset();
    Error why = Serve(conn);
    CloseQueue("the connection to Redis was lost: " + why.message);
    conn.Close();
    if (stopping_) break;
    outage.Down(why.message);
    waker.WaitFor(backoff.Next());
    waker.Drain();
  }
  CloseQueue("the server is stopping");
}

Error RedisBroker::Serve(RedisConnection& conn) {
  // Reads wait on a waker nobody notifies: new work must not cut a batch's
  // replies short (Stop waits for at most one reply timeout).
  static const Waker quiet;
  auto next_sweep = std::chrono::steady_clock::now();
  while (!stopping_) {
    std::vector<Job> batch = queue_.Take(kBatch);
    if (std::chrono::steady_clock::now() >= next_sweep) {
      batch.push_back(PresenceSweep());
      next_sweep = std::chrono::steady_clock::now() + kSweepInterval;
    }
    if (batch.empty()) {
      queue_.waker().WaitFor(std::chrono::duration_cast<std::chrono::milliseconds>(
          std::max(next_sweep - std::chrono::steady_clock::now(),
                   std::chrono::steady_clock::duration(std::chrono::milliseconds(1)))));
      queue_.waker().Drain();
      continue;
    }
    for (const auto& job : batch) {
      for (const auto& cmd : job.commands) {
        conn.Append(std::vector<std::string_view>(cmd.begin(), cmd.end()));
      }
    }
    Status flushed = conn.Flush();
    size_t next = 0;
    Error failure;
    bool failed = !flushed.ok();
    if (failed) failure = flushed.error();
    for (; next < batch.size() && !failed; ++next) {
      Replies replies;
      for (size_t i = 0; i < batch[next].commands.size(); ++i) {
        auto reply = conn.Read(quiet, kReplyTimeout);
        if (!reply.ok()) {
          failed = true;
          failure = reply.error();
          break;
        }
        replies.push_back(std::move(reply.value()));
      }
      if (failed) break;
      if (batch[next].done) batch[next].done(std::move(replies));
    }
    if (failed) {
      for (; next < batch.size(); ++next) {
        if (batch[next].done) batch[next].done(BrokerUnavailable(failure.message));
      }
      return failure;
    }
  }
  return Error{"stopped", "stopped"};
}

}  // namespace cable::server
