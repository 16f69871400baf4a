#include "bench/presence_receipt.h"

#include "bench/presence_wire.h"
#include "bench/scanner.h"

namespace cable::bench {

namespace {

// Whether the join's info is {"n":<client>} (any spacing), as the joiner
// sent it.
bool InfoNames(std::string_view info, int client) {
  size_t at = info.find("\"n\"");
  if (at == std::string_view::npos) return false;
  size_t i = at + 3;
  while (i < info.size() && (info[i] == ' ' || info[i] == ':')) ++i;
  int64_t v = 0;
  size_t digits = 0;
  while (i < info.size() && info[i] >= '0' && info[i] <= '9' && digits < 10) {
    v = v * 10 + (info[i++] - '0');
    ++digits;
  }
  return digits > 0 && v == client;
}

}  // namespace

Receipt AccountPresenceEvent(PresenceMember& me, int self, int streams, const PresenceBoard& board,
                             std::string_view tag, const ScannedMessage& m, int64_t now_ns) {
  Receipt r;
  const bool join = m.presence_type == "join";
  if (!join && m.presence_type != "leave") return r;
  MemberId id;
  switch (ParseMemberId(m.presence_id, tag, &id)) {
    case IdMatch::kForeign:
      r.verdict = ReceiptVerdict::kForeign;
      return r;
    case IdMatch::kInvalid:
      r.verdict = ReceiptVerdict::kInvalid;
      return r;
    case IdMatch::kOurs:
      break;
  }
  if (id.client == self) {
    r.verdict = ReceiptVerdict::kOwn;
    return r;
  }
  PresenceBoard::Entry e;
  if (id.client % streams != self % streams || !board.Lookup(id.client, id.epoch, join, &e)) {
    r.verdict = ReceiptVerdict::kUnknown;
    return r;
  }
  const bool drop = e.action == PresenceAction::kDrop;
  SeqTracker& seen = drop ? me.drops : me.events;
  if (!seen.Receive(static_cast<uint64_t>(e.number))) {
    r.verdict = ReceiptVerdict::kDuplicate;
    return r;
  }
  r.action = e.action;
  r.latency_ns = now_ns - e.t_ns;
  if (join) r.info_ok = InfoNames(m.presence_info, id.client);
  if (me.required && e.t_ns >= me.subscribed_ns) {
    ++(drop ? me.counted_drops : me.counted);
    r.verdict = ReceiptVerdict::kCounted;
  } else {
    r.verdict = ReceiptVerdict::kBonus;
  }
  return r;
}

}  // namespace cable::bench
