#include "server/broadcast/redisx_broadcaster.h"

#include <fmt/format.h>

#include <chrono>
#include <vector>

#include "common/log.h"
#include "server/redis/backoff.h"
#include "server/redis/outage_log.h"
#include "server/redis/redis_connection.h"

namespace cable::server {
namespace {

constexpr const char* kBatch = "100";
// Beyond the block time, how long a blocked read may wait for its reply.
constexpr auto kReplyMargin = std::chrono::seconds(5);
// Bounds one reclaim pass so that reading new entries is never starved.
constexpr int kMaxClaimPages = 10;
constexpr auto kSpreadCheck = std::chrono::milliseconds(50);
// The pub/sub connects at the same time as this adapter: a short wait at
// start is normal and not worth a warning.
constexpr auto kPauseWarnAfter = std::chrono::seconds(5);

}  // namespace

RedisxBroadcaster::RedisxBroadcaster(broadcast::RedisUrl url, RedisxSettings settings,
                                     std::string consumer, IngressSink sink)
    : url_(std::move(url)),
      stream_(std::move(settings.stream)),
      group_(std::move(settings.group)),
      block_(settings.block),
      block_ms_text_(std::to_string(settings.block.count())),
      consumer_(std::move(consumer)),
      source_("Redis stream " + stream_),
      sink_(std::move(sink)) {}

RedisxBroadcaster::~RedisxBroadcaster() {
  Stop();
}

Status RedisxBroadcaster::Start() {
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void RedisxBroadcaster::Stop() {
  stopping_ = true;
  waker_.Notify();
  if (thread_.joinable()) thread_.join();
}

void RedisxBroadcaster::Run() {
  RedisConnection conn(url_);
  Backoff backoff;
  OutageLog outage("Redis Streams broadcast adapter");
  while (!stopping_) {
    Status ready = conn.Connect();
    if (ready.ok()) {
      auto created = conn.Command({"XGROUP", "CREATE", stream_, group_, "$", "MKSTREAM"}, waker_);
      if (!created.ok() && created.error().message.find("BUSYGROUP") == std::string::npos) {
        ready = created.error();
      }
    }
    if (!ready.ok()) {
      if (stopping_) break;
      outage.Down(ready.error().message);
      waker_.WaitFor(backoff.Next());
      continue;
    }
    outage.Up(fmt::format("consuming stream {} as {}/{} at {}", stream_, group_, consumer_,
                          conn.Authority()));
    backoff.Reset();
    Error why = Consume(conn);
    if (stopping_) break;
    outage.Down(why.message);
    waker_.WaitFor(backoff.Next());
  }
  LeaveGroup();
}

void RedisxBroadcaster::LeaveGroup() {
  RedisConnection conn(url_, std::chrono::milliseconds(1000));
  if (!conn.Connect().ok()) return;
  auto pending =
      conn.Command({"XPENDING", stream_, group_, "-", "+", "1", consumer_}, uninterrupted_);
  if (!pending.ok() || (*pending)->type != REDIS_REPLY_ARRAY || (*pending)->elements != 0) return;
  // Best effort on the way out: a consumer left behind is claimed by the
  // group's other members after their idle timeout anyway.
  conn.Command({"XGROUP", "DELCONSUMER", stream_, group_, consumer_}, uninterrupted_).IgnoreError();
}

Error RedisxBroadcaster::Consume(RedisConnection& conn) {
  // Claim at once: entries left by a consumer that died before this node
  // started are the ones most overdue.
  auto last_claim = std::chrono::steady_clock::now() - block_;
  while (!stopping_) {
    if (!WaitUntilSpreadable()) continue;
    if (claim_supported_ && std::chrono::steady_clock::now() - last_claim >= block_) {
      if (Status s = ClaimIdle(conn); !s) return s.error();
      last_claim = std::chrono::steady_clock::now();
    }
    auto read = conn.Command({"XREADGROUP", "GROUP", group_, consumer_, "COUNT", kBatch, "BLOCK",
                              block_ms_text_, "STREAMS", stream_, ">"},
                             waker_, block_ + kReplyMargin);
    if (!read.ok()) return read.error();
    const redisReply* r = read->get();
    if (r->type != REDIS_REPLY_ARRAY) continue;  // nil: nothing within the block time
    // [[stream, [entry...]]]
    for (size_t i = 0; i < r->elements; ++i) {
      const redisReply* per_stream = r->element[i];
      if (per_stream->type != REDIS_REPLY_ARRAY || per_stream->elements != 2) continue;
      if (Status s = Process(conn, per_stream->element[1]); !s) return s.error();
    }
  }
  return Error{"stopped", "stopped"};
}

bool RedisxBroadcaster::WaitUntilSpreadable() {
  if (!sink_.can_spread || sink_.can_spread()) {
    if (paused_logged_) log::Info("{}: the pub/sub is back; reading entries again", source_);
    paused_since_.reset();
    paused_logged_ = false;
    return true;
  }
  const auto now = std::chrono::steady_clock::now();
  if (!paused_since_) paused_since_ = now;
  if (!paused_logged_ && now - *paused_since_ >= kPauseWarnAfter) {
    log::Warn("{}: the pub/sub is down; entries wait in the stream until it is back", source_);
    paused_logged_ = true;
  }
  // The pub/sub reports no event to wait on; check again shortly.
  waker_.WaitFor(kSpreadCheck);
  return false;
}

Status RedisxBroadcaster::ClaimIdle(RedisConnection& conn) {
  std::string cursor = "0-0";
  for (int page = 0; page < kMaxClaimPages && !stopping_; ++page) {
    auto claimed = conn.Command(
        {"XAUTOCLAIM", stream_, group_, consumer_, block_ms_text_, cursor, "COUNT", kBatch},
        waker_);
    if (!claimed.ok()) {
      if (claimed.error().IsRedisError() &&
          claimed.error().message.find("unknown command") != std::string::npos) {
        log::Warn(
            "{}: Redis has no XAUTOCLAIM (needs 6.2+); entries left pending by a stopped "
            "node will not be reclaimed",
            source_);
        claim_supported_ = false;
        return Status::Ok();
      }
      return claimed.error();
    }
    // [next-cursor, [entry...], (Redis 7: [deleted-id...])]
    const redisReply* r = claimed->get();
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) return Status::Ok();
    if (r->element[1]->type == REDIS_REPLY_ARRAY && r->element[1]->elements > 0) {
      log::Info("{}: reclaimed {} entries left pending by another consumer", source_,
                r->element[1]->elements);
      if (Status s = Process(conn, r->element[1]); !s) return s;
    }
    cursor = std::string(ReplyString(r->element[0]));
    if (cursor.empty() || cursor == "0-0") return Status::Ok();
  }
  return Status::Ok();
}

Status RedisxBroadcaster::Process(RedisConnection& conn, const redisReply* entries) {
  if (entries == nullptr || entries->type != REDIS_REPLY_ARRAY || entries->elements == 0) {
    return Status::Ok();
  }
  std::vector<std::string_view> ack{"XACK", stream_, group_};
  std::vector<std::string_view> del{"XDEL", stream_};
  for (size_t i = 0; i < entries->elements; ++i) {
    const redisReply* entry = entries->element[i];
    // [id, [field, value, ...]]; the fields are nil for an entry deleted
    // while pending (Redis 6.2), which only needs acknowledging.
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2) continue;
    const std::string_view id = ReplyString(entry->element[0]);
    if (id.empty()) continue;
    const redisReply* fields = entry->element[1];
    bool has_payload = false;
    if (fields->type == REDIS_REPLY_ARRAY) {
      for (size_t f = 0; f + 1 < fields->elements; f += 2) {
        if (ReplyString(fields->element[f]) == "payload") {
          DeliverPublication(ReplyString(fields->element[f + 1]), sink_, source_);
          has_payload = true;
          break;
        }
      }
      if (!has_payload) {
        if (sink_.metrics) Inc(sink_.metrics->failed_broadcast_msg_total);
        log::Warn("{}: entry {} has no `payload` field; skipped", source_, id);
      }
    }
    ack.push_back(id);
    del.push_back(id);
  }
  if (ack.size() == 3) return Status::Ok();
  if (auto r = conn.Command(ack, uninterrupted_); !r.ok()) return r.error();
  if (auto r = conn.Command(del, uninterrupted_); !r.ok()) return r.error();
  return Status::Ok();
}

}  // namespace cable::server
