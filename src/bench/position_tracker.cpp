#include "bench/position_tracker.h"

#include <charconv>

namespace cable::bench {

namespace {

// The most offsets one recovery keeps track of (a 128 KiB bitmap): an
// offset further ahead than this ends the recovery as if the replay were
// over, so a bogus offset cannot make a client allocate without bound.
constexpr uint64_t kMaxRecoveryWindow = uint64_t{1} << 20;

void AppendUnsigned(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

}  // namespace

PositionTracker::Stream* PositionTracker::Find(std::string_view id) {
  for (Stream& s : streams_) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

PositionTracker::Observation PositionTracker::Observe(std::string_view stream_id,
                                                      std::string_view epoch, uint64_t offset) {
  Stream* s = Find(stream_id);
  if (!s) {
    Stream fresh;
    fresh.id = stream_id;
    fresh.epoch = epoch;
    fresh.last = offset;
    streams_.push_back(std::move(fresh));
    return {Verdict::kFirst};
  }
  if (s->epoch != epoch) {
    s->epoch = epoch;
    EndRecovery(*s, offset);
    return {Verdict::kEpochChange};
  }
  if (s->recovering) return Recover(*s, offset);
  if (offset == s->last + 1) {
    s->last = offset;
    return {Verdict::kNext};
  }
  if (offset <= s->last) return {Verdict::kDuplicate};
  Observation gap{Verdict::kGap, offset - s->last - 1};
  s->last = offset;
  return gap;
}

PositionTracker::Observation PositionTracker::Recover(Stream& s, uint64_t offset) {
  if (offset <= s.last) return {Verdict::kDuplicate};
  if ((s.replay_ended && offset > s.high) || offset - s.last > kMaxRecoveryWindow) {
    uint64_t missed = EndRecovery(s, offset) + (offset - s.high - 1);
    return {Verdict::kRejoined, missed};
  }
  uint64_t bit = offset - s.last - 1;
  size_t word = static_cast<size_t>(bit / 64);
  uint64_t mask = uint64_t{1} << (bit % 64);
  if (word >= s.got.size()) s.got.resize(word + 1, 0);
  if (s.got[word] & mask) return {Verdict::kCopy};
  s.got[word] |= mask;
  ++s.recovered;
  if (offset > s.high) s.high = offset;
  return {Verdict::kRecovered};
}

uint64_t PositionTracker::EndRecovery(Stream& s, uint64_t last) {
  uint64_t missed = s.recovering ? s.high - s.last - s.recovered : 0;
  s.recovering = false;
  s.replay_ended = false;
  s.last = last;
  s.got = {};  // the memory goes with the recovery
  return missed;
}

void PositionTracker::BeginRecovery() {
  for (Stream& s : streams_) {
    s.recovering = true;
    s.replay_ended = false;
    s.high = s.last;
    s.recovered = 0;
    s.got.assign(2, 0);
  }
}

void PositionTracker::ReplayEnded() {
  for (Stream& s : streams_) s.replay_ended = true;
}

uint64_t PositionTracker::Settle() {
  uint64_t missed = 0;
  for (Stream& s : streams_) {
    if (s.recovering) missed += EndRecovery(s, s.high);
  }
  return missed;
}

void PositionTracker::AppendHistoryRequest(std::string& out, int64_t since_unix_s) const {
  if (streams_.empty()) {
    out += "{\"since\":";
    AppendUnsigned(out, static_cast<uint64_t>(since_unix_s < 0 ? 0 : since_unix_s));
    out += '}';
    return;
  }
  out += "{\"streams\":{";
  for (size_t i = 0; i < streams_.size(); ++i) {
    const Stream& s = streams_[i];
    if (i > 0) out += ',';
    // The id and epoch are the JSON string contents the server sent.
    out += '"';
    out += s.id;
    out += "\":{\"offset\":";
    AppendUnsigned(out, s.last);
    out += ",\"epoch\":\"";
    out += s.epoch;
    out += "\"}";
  }
  out += "}}";
}

}  // namespace cable::bench
