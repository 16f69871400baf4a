#include "server/presence/presence_set.h"

#include <algorithm>

namespace cable::server {

namespace {
// What a record or a session's join costs besides its strings (nodes,
// vectors, the sid kept twice).
constexpr size_t kRecordOverhead = 128;
constexpr size_t kJoinOverhead = 96;
}  // namespace

Result<PresenceSet::MaybeEvent> PresenceSet::Add(const std::string& stream, const std::string& sid,
                                                 PresenceMember member) {
  SessionEntry& session = sessions_[sid];
  auto joined = std::find_if(session.streams.begin(), session.streams.end(),
                             [&](const auto& s) { return s.first == stream; });
  if (joined != session.streams.end() && joined->second != member.id) {
    return Error{presence_codes::kMismatch, "presence ID mismatch"};
  }
  Records& records = streams_[stream];
  auto [it, is_new] = records.try_emplace(member.id);
  Record& record = it->second;
  if (is_new) {
    record.joined = ++joins_;
    bytes_ += kRecordOverhead + member.id.size();
  }
  bytes_ = bytes_ - record.info.size() + member.info.size();
  record.info = member.info;
  if (joined == session.streams.end()) {
    session.streams.emplace_back(stream, member.id);
    record.sids.push_back(sid);
    bytes_ += kJoinOverhead + sid.size() + stream.size() + member.id.size();
  }
  if (!is_new) return MaybeEvent();
  return MaybeEvent(
      PresenceEvent{PresenceEvent::Kind::kJoin, std::move(member.id), std::move(member.info)});
}

bool PresenceSet::Drop(const std::string& stream, const std::string& id, const std::string& sid) {
  auto s = streams_.find(stream);
  if (s == streams_.end()) return false;
  auto r = s->second.find(id);
  if (r == s->second.end()) return false;
  auto& sids = r->second.sids;
  auto pos = std::find(sids.begin(), sids.end(), sid);
  if (pos == sids.end()) return false;
  sids.erase(pos);
  bytes_ -= kJoinOverhead + sid.size() + stream.size() + id.size();
  if (!sids.empty()) return false;
  bytes_ -= kRecordOverhead + id.size() + r->second.info.size();
  s->second.erase(r);
  if (s->second.empty()) streams_.erase(s);
  return true;
}

Result<PresenceSet::MaybeEvent> PresenceSet::Remove(const std::string& stream,
                                                    const std::string& sid) {
  auto entry = sessions_.find(sid);
  if (entry == sessions_.end()) return Error{presence_codes::kNotJoined, "presence info not found"};
  auto& streams = entry->second.streams;
  auto joined = std::find_if(streams.begin(), streams.end(),
                             [&](const auto& s) { return s.first == stream; });
  if (joined == streams.end()) return Error{presence_codes::kNotJoined, "presence info not found"};
  std::string id = std::move(joined->second);
  streams.erase(joined);
  if (streams.empty() && entry->second.expires_at == 0) sessions_.erase(entry);
  if (!Drop(stream, id, sid)) return MaybeEvent();
  return MaybeEvent(PresenceEvent{PresenceEvent::Kind::kLeave, std::move(id), {}});
}

PresenceList PresenceSet::List(const std::string& stream) const {
  PresenceList out;
  auto s = streams_.find(stream);
  if (s == streams_.end()) return out;
  std::vector<std::pair<uint64_t, PresenceMember>> ordered;
  ordered.reserve(s->second.size());
  for (const auto& [id, record] : s->second) {
    ordered.emplace_back(record.joined, PresenceMember{id, record.info});
  }
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  out.records.reserve(ordered.size());
  for (auto& [_, member] : ordered) out.records.push_back(std::move(member));
  return out;
}

void PresenceSet::Finish(const std::string& sid, int64_t expires_at) {
  auto entry = sessions_.find(sid);
  if (entry == sessions_.end() || entry->second.expires_at != 0) return;
  if (entry->second.streams.empty()) {
    sessions_.erase(entry);
    return;
  }
  entry->second.expires_at = expires_at;
  finished_.emplace_back(expires_at, sid);
}

std::vector<std::pair<std::string, PresenceEvent>> PresenceSet::Expire(int64_t now) {
  std::vector<std::pair<std::string, PresenceEvent>> leaves;
  while (!finished_.empty() && finished_.front().first <= now) {
    std::string sid = std::move(finished_.front().second);
    finished_.pop_front();
    auto entry = sessions_.find(sid);
    if (entry == sessions_.end()) continue;
    for (auto& [stream, id] : entry->second.streams) {
      if (Drop(stream, id, sid)) {
        leaves.emplace_back(stream, PresenceEvent{PresenceEvent::Kind::kLeave, std::move(id), {}});
      }
    }
    sessions_.erase(entry);
  }
  return leaves;
}

}  // namespace cable::server
