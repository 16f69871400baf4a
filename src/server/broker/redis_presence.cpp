#include <fmt/format.h>

#include <string>

#include "server/broker/redis_broker.h"

// RedisBroker: presence shared by every node (spec §2.6). Layout, under
// `_anycable_:presence:`:
// - `<stream>:records`  HASH presence id -> info JSON ("" = none)
// - `<stream>:order`    ZSET presence id by first join (ms), for listing
// - `<stream>:sessions` HASH sid -> presence id
// - `<stream>:counts`   HASH presence id -> sessions joined under it
// - `sid:<sid>`         HASH stream -> presence id (what a session joined)
// - `deadlines`         ZSET sid -> when its records expire (ms)
// Every change is one Lua script, so a join or leave is broadcast by
// exactly one node. A connected session's deadline is pushed forward every
// presence_ttl/2 by its node; one that disconnected, or whose node died,
// stops being pushed and is swept (by any node, once a second) within
// presence_ttl, its leaves broadcast by the node that swept it. Times are
// Redis's own (TIME), so nodes' clocks need not agree. Keys are built in
// the scripts, which Redis Cluster does not allow: one Redis (or a
// primary with replicas, or Sentinel) is assumed.

namespace cable::server {

namespace {

constexpr const char* kPresencePrefix = "_anycable_:presence:";
// Sessions swept per pass; the rest wait a second.
constexpr int kSweepBatch = 500;

// Shared by the scripts: the time, and removing one session's record.
constexpr const char* kPrelude = R"lua(
local p = '_anycable_:presence:'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- Takes sid out of stream; returns the presence id when its last session
-- left (the leave to broadcast), false when others remain, nil when the
-- session was not there.
local function remove(stream, sid)
  local s = p .. stream .. ':'
  local id = redis.call('HGET', s .. 'sessions', sid)
  if not id then return nil end
  redis.call('HDEL', s .. 'sessions', sid)
  redis.call('HDEL', p .. 'sid:' .. sid, stream)
  if redis.call('HINCRBY', s .. 'counts', id, -1) > 0 then return false end
  redis.call('HDEL', s .. 'counts', id)
  redis.call('HDEL', s .. 'records', id)
  redis.call('ZREM', s .. 'order', id)
  return id
end
)lua";

// ARGV: stream, sid, presence id, info, ttl (ms). Returns 'join', 'same'
// or 'mismatch'.
constexpr const char* kJoinBody = R"lua(
local s = p .. ARGV[1] .. ':'
local old = redis.call('HGET', s .. 'sessions', ARGV[2])
if old and old ~= ARGV[3] then return 'mismatch' end
redis.call('ZADD', p .. 'deadlines', now + tonumber(ARGV[5]), ARGV[2])
redis.call('HSET', s .. 'records', ARGV[3], ARGV[4])
if old then return 'same' end
redis.call('HSET', s .. 'sessions', ARGV[2], ARGV[3])
redis.call('HSET', p .. 'sid:' .. ARGV[2], ARGV[1], ARGV[3])
if redis.call('HINCRBY', s .. 'counts', ARGV[3], 1) > 1 then return 'same' end
redis.call('ZADD', s .. 'order', now, ARGV[3])
return 'join'
)lua";

// ARGV: stream, sid. Returns {'left', id}, {'same'} or {'unknown'}.
constexpr const char* kLeaveBody = R"lua(
local id = remove(ARGV[1], ARGV[2])
if redis.call('EXISTS', p .. 'sid:' .. ARGV[2]) == 0 then
  redis.call('ZREM', p .. 'deadlines', ARGV[2])
end
if id == nil then return {'unknown'} end
if id == false then return {'same'} end
return {'left', id}
)lua";

// ARGV: ttl (ms), sids... Pushes the deadlines of connected sessions (or
// of one that just disconnected) forward; unknown sids are not added.
constexpr const char* kTouchBody = R"lua(
for i = 2, #ARGV do
  redis.call('ZADD', p .. 'deadlines', 'XX', now + tonumber(ARGV[1]), ARGV[i])
end
return #ARGV - 1
)lua";

// ARGV: batch size. Removes the records of expired sessions; returns the
// leaves as {stream, id, stream, id, ...}.
constexpr const char* kSweepBody = R"lua(
local expired = redis.call('ZRANGEBYSCORE', p .. 'deadlines', '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local leaves = {}
for _, sid in ipairs(expired) do
  for _, stream in ipairs(redis.call('HKEYS', p .. 'sid:' .. sid)) do
    local id = remove(stream, sid)
    if id then
      leaves[#leaves + 1] = stream
      leaves[#leaves + 1] = id
    end
  end
  redis.call('DEL', p .. 'sid:' .. sid)
  redis.call('ZREM', p .. 'deadlines', sid)
end
return leaves
)lua";

std::string Script(const char* body) {
  return std::string(kPrelude) + body;
}

std::string StreamKey(const std::string& stream, const char* what) {
  return kPresencePrefix + stream + ":" + what;
}

Error OddReply(const char* what, const redisReply* r) {
  return BrokerUnavailable(
      fmt::format("Redis answered the presence {} oddly: {}", what, ReplyString(r).substr(0, 200)));
}

}  // namespace

std::string RedisBroker::TtlMs() const {
  return std::to_string(limits_.presence_ttl_s * 1000);
}

void RedisBroker::PresenceAdd(const std::string& stream, const std::string& sid,
                              PresenceMember member, PresenceDone done) {
  static const std::string script = Script(kJoinBody);
  Job job;
  job.commands.push_back({"EVAL", script, "0", stream, sid, member.id, member.info, TtlMs()});
  job.done = [member = std::move(member), done = std::move(done)](Result<Replies> replies) mutable {
    if (!replies.ok()) return done(replies.error());
    std::string_view answer = ReplyString((*replies)[0].get());
    if (answer == "mismatch") return done(Error{presence_codes::kMismatch, "presence ID mismatch"});
    if (answer == "same") return done(std::optional<PresenceEvent>());
    if (answer != "join") return done(OddReply("join", (*replies)[0].get()));
    done(std::optional<PresenceEvent>(
        PresenceEvent{PresenceEvent::Kind::kJoin, std::move(member.id), std::move(member.info)}));
  };
  Enqueue(std::move(job));
}

void RedisBroker::PresenceRemove(const std::string& stream, const std::string& sid,
                                 PresenceDone done) {
  static const std::string script = Script(kLeaveBody);
  Job job;
  job.commands.push_back({"EVAL", script, "0", stream, sid});
  job.done = [done = std::move(done)](Result<Replies> replies) {
    if (!replies.ok()) return done(replies.error());
    const redisReply* r = (*replies)[0].get();
    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) return done(OddReply("leave", r));
    std::string_view answer = ReplyString(r->element[0]);
    if (answer == "unknown") {
      return done(Error{presence_codes::kNotJoined, "presence info not found"});
    }
    if (answer == "left" && r->elements == 2) {
      return done(std::optional<PresenceEvent>(
          PresenceEvent{PresenceEvent::Kind::kLeave, std::string(ReplyString(r->element[1])), {}}));
    }
    done(std::optional<PresenceEvent>());
  };
  Enqueue(std::move(job));
}

void RedisBroker::PresenceInfo(const std::string& stream, PresenceListDone done) {
  Job job;
  // Two reads in one round trip; a member joining in between is listed
  // without info or not at all, as if it had joined a moment later.
  job.commands.push_back({"ZRANGE", StreamKey(stream, "order"), "0", "-1"});
  job.commands.push_back({"HGETALL", StreamKey(stream, "records")});
  job.done = [done = std::move(done)](Result<Replies> replies) {
    if (!replies.ok()) return done(replies.error());
    const redisReply* order = (*replies)[0].get();
    const redisReply* records = (*replies)[1].get();
    if (order->type != REDIS_REPLY_ARRAY) return done(OddReply("list", order));
    if (records->type != REDIS_REPLY_ARRAY) return done(OddReply("list", records));
    std::unordered_map<std::string_view, std::string_view> infos;
    for (size_t i = 0; i + 1 < records->elements; i += 2) {
      infos.emplace(ReplyString(records->element[i]), ReplyString(records->element[i + 1]));
    }
    PresenceList list;
    list.records.reserve(order->elements);
    for (size_t i = 0; i < order->elements; ++i) {
      auto it = infos.find(ReplyString(order->element[i]));
      if (it == infos.end()) continue;
      list.records.push_back(PresenceMember{std::string(it->first), std::string(it->second)});
    }
    done(std::move(list));
  };
  Enqueue(std::move(job));
}

void RedisBroker::FinishPresence(const std::string& sid) {
  TouchPresence({sid});
}

void RedisBroker::TouchPresence(std::vector<std::string> sids) {
  static const std::string script = Script(kTouchBody);
  // Bounded argument lists: Lua's stack takes a few thousand at most.
  constexpr size_t kPerCall = 1000;
  for (size_t from = 0; from < sids.size(); from += kPerCall) {
    Job job;
    std::vector<std::string> cmd{"EVAL", script, "0", TtlMs()};
    for (size_t i = from; i < std::min(sids.size(), from + kPerCall); ++i) {
      cmd.push_back(std::move(sids[i]));
    }
    job.commands.push_back(std::move(cmd));
    Enqueue(std::move(job));
  }
}

RedisBroker::Job RedisBroker::PresenceSweep() {
  static const std::string script = Script(kSweepBody);
  Job job;
  job.commands.push_back({"EVAL", script, "0", std::to_string(kSweepBatch)});
  job.done = [this](Result<Replies> replies) {
    if (!replies.ok() || !presence_expired_) return;
    const redisReply* r = (*replies)[0].get();
    if (r->type != REDIS_REPLY_ARRAY) return;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
      presence_expired_(
          std::string(ReplyString(r->element[i])),
          PresenceEvent{
              PresenceEvent::Kind::kLeave, std::string(ReplyString(r->element[i + 1])), {}});
    }
  };
  return job;
}

}  // namespace cable::server
