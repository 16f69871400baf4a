#include "bench/presence_board.h"

namespace cable::bench {

namespace {

uint64_t TagOf(uint32_t epoch, PresenceAction action) {
  return (static_cast<uint64_t>(epoch) << 3) | (static_cast<uint64_t>(action) << 1) | 1;
}

}  // namespace

PresenceBoard::PresenceBoard(int clients, int streams)
    : clients_(clients),
      slots_(new Slot[static_cast<size_t>(clients) * kEpochs * 2]),
      prompt_(new std::atomic<int64_t>[static_cast<size_t>(streams)]),
      drops_(new std::atomic<int64_t>[static_cast<size_t>(streams)]) {
  for (int s = 0; s < streams; ++s) {
    prompt_[s].store(0);
    drops_[s].store(0);
  }
}

PresenceBoard::Slot& PresenceBoard::SlotOf(int client, uint32_t epoch, bool join) const {
  size_t i = (static_cast<size_t>(client) * kEpochs + epoch % kEpochs) * 2 + (join ? 0 : 1);
  return slots_[i];
}

int64_t PresenceBoard::Record(int client, int stream, uint32_t epoch, PresenceAction action,
                              int64_t t_ns) {
  auto& counter = action == PresenceAction::kDrop ? drops_[stream] : prompt_[stream];
  const int64_t number = counter.fetch_add(1, std::memory_order_relaxed);
  Slot& s = SlotOf(client, epoch, action == PresenceAction::kJoin);
  s.tag.store(0, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  s.number.store(number, std::memory_order_relaxed);
  s.t_ns.store(t_ns, std::memory_order_relaxed);
  s.tag.store(TagOf(epoch, action), std::memory_order_release);
  return number;
}

bool PresenceBoard::Lookup(int client, uint32_t epoch, bool join, Entry* out) const {
  if (client < 0 || client >= clients_) return false;
  const Slot& s = SlotOf(client, epoch, join);
  const uint64_t tag = s.tag.load(std::memory_order_acquire);
  if (tag == 0 || (tag >> 3) != epoch) return false;
  const int64_t number = s.number.load(std::memory_order_relaxed);
  const int64_t t_ns = s.t_ns.load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);
  if (s.tag.load(std::memory_order_relaxed) != tag) return false;
  out->action = static_cast<PresenceAction>((tag >> 1) & 3);
  out->number = number;
  out->t_ns = t_ns;
  return true;
}

}  // namespace cable::bench
