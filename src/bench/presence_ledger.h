#pragma once
// How many presence events each member must see, from the actions the run
// took.
//
// The rule: a member required to receive (see PresenceMember::required)
// must see every event of its stream whose action was taken at or after the
// confirmation of its own subscription, except the events of its own
// actions. An
// event of an earlier action may still reach it (the server can have
// processed the subscription first); that is a bonus, never a loss. Actions
// of a connection that was lost stay expected: the loss is what the run
// found.
//
// Built once the last action is taken; each loop logs its own actions
// (ActionRecord) and the runner merges them here.

#include <cstdint>
#include <vector>

namespace cable::bench {

struct ActionRecord {
  int32_t stream = 0;
  bool drop = false;  // a drop (its leave comes after the TTL) rather than a join or leave
  int64_t t_ns = 0;
};

class PresenceLedger {
 public:
  explicit PresenceLedger(int streams = 1);

  void Add(const ActionRecord& a);
  // After the last Add(): sorts, so Expected() is a binary search.
  void Seal();

  // Join and leave events of `stream` from `since_ns` on, less the
  // receiver's own `own` actions (all of them taken from its subscription on).
  int64_t ExpectedPrompt(int stream, int64_t since_ns, int64_t own) const;
  // Leaves of members of `stream` dropped from `since_ns` on.
  int64_t ExpectedDrops(int stream, int64_t since_ns) const;

  int64_t actions() const { return actions_; }

 private:
  std::vector<std::vector<int64_t>> prompt_, drops_;  // action times per stream
  int64_t actions_ = 0;
};

}  // namespace cable::bench
