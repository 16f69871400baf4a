#include "bench/presence_ledger.h"

#include <algorithm>

namespace cable::bench {

namespace {

// Actions at or after `since_ns`: a member's own join is stamped with the
// very instant its subscription was confirmed.
int64_t From(const std::vector<int64_t>& sorted, int64_t since_ns) {
  return static_cast<int64_t>(sorted.end() -
                              std::lower_bound(sorted.begin(), sorted.end(), since_ns));
}

}  // namespace

PresenceLedger::PresenceLedger(int streams)
    : prompt_(static_cast<size_t>(streams)), drops_(static_cast<size_t>(streams)) {}

void PresenceLedger::Add(const ActionRecord& a) {
  auto& list = a.drop ? drops_ : prompt_;
  list[static_cast<size_t>(a.stream)].push_back(a.t_ns);
  ++actions_;
}

void PresenceLedger::Seal() {
  for (auto* lists : {&prompt_, &drops_}) {
    for (auto& l : *lists) std::sort(l.begin(), l.end());
  }
}

int64_t PresenceLedger::ExpectedPrompt(int stream, int64_t since_ns, int64_t own) const {
  return std::max<int64_t>(0, From(prompt_[static_cast<size_t>(stream)], since_ns) - own);
}

int64_t PresenceLedger::ExpectedDrops(int stream, int64_t since_ns) const {
  return From(drops_[static_cast<size_t>(stream)], since_ns);
}

}  // namespace cable::bench
