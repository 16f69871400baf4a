#include "bench/position_tracker.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace cable::bench {
namespace {

using V = PositionTracker::Verdict;

TEST(PositionTracker, OffsetsUpByOnePerStream) {
  PositionTracker t;
  EXPECT_EQ(t.Observe("all", "e1", 7).verdict, V::kFirst);
  EXPECT_EQ(t.Observe("all", "e1", 8).verdict, V::kNext);
  EXPECT_EQ(t.Observe("other", "e1", 1).verdict, V::kFirst);
  EXPECT_EQ(t.Observe("all", "e1", 9).verdict, V::kNext);
  EXPECT_EQ(t.Observe("other", "e1", 2).verdict, V::kNext);
}

TEST(PositionTracker, GapsDuplicatesAndEpochChanges) {
  PositionTracker t;
  t.Observe("all", "e1", 1);
  auto gap = t.Observe("all", "e1", 5);
  EXPECT_EQ(gap.verdict, V::kGap);
  EXPECT_EQ(gap.skipped, 3u);
  EXPECT_EQ(t.Observe("all", "e1", 5).verdict, V::kDuplicate);
  EXPECT_EQ(t.Observe("all", "e1", 2).verdict, V::kDuplicate);  // late: still a repeat
  EXPECT_EQ(t.Observe("all", "e1", 6).verdict, V::kNext);
  // Another epoch restarts the comparison from its first offset.
  EXPECT_EQ(t.Observe("all", "e2", 1).verdict, V::kEpochChange);
  EXPECT_EQ(t.Observe("all", "e2", 2).verdict, V::kNext);
}

TEST(PositionTracker, RecoveryAcceptsAnyOrderOnceAndDropsCopies) {
  PositionTracker t;
  for (uint64_t o = 1; o <= 10; ++o) t.Observe("all", "e", o);
  t.BeginRecovery();
  // Live messages overtake the replay of 11..14.
  EXPECT_EQ(t.Observe("all", "e", 15).verdict, V::kRecovered);
  EXPECT_EQ(t.Observe("all", "e", 16).verdict, V::kRecovered);
  for (uint64_t o = 11; o <= 16; ++o) {
    EXPECT_EQ(t.Observe("all", "e", o).verdict, o <= 14 ? V::kRecovered : V::kCopy) << o;
  }
  EXPECT_EQ(t.Observe("all", "e", 10).verdict, V::kDuplicate);  // seen before the drop
  t.ReplayEnded();
  // A live copy of a replayed message can still come after confirm_history.
  EXPECT_EQ(t.Observe("all", "e", 16).verdict, V::kCopy);
  auto back = t.Observe("all", "e", 17);
  EXPECT_EQ(back.verdict, V::kRejoined);
  EXPECT_EQ(back.skipped, 0u);
  EXPECT_EQ(t.Observe("all", "e", 18).verdict, V::kNext);
  EXPECT_EQ(t.Observe("all", "e", 18).verdict, V::kDuplicate);
}

TEST(PositionTracker, MissedAcrossTheDrop) {
  PositionTracker t;
  t.Observe("all", "e", 10);
  t.BeginRecovery();
  // 11 and 13 never come; 12 and 14 do.
  t.Observe("all", "e", 12);
  t.Observe("all", "e", 14);
  t.ReplayEnded();
  auto back = t.Observe("all", "e", 17);  // and 15, 16 are skipped live
  EXPECT_EQ(back.verdict, V::kRejoined);
  EXPECT_EQ(back.skipped, 4u);
}

TEST(PositionTracker, RejectedHistoryShowsAtTheNextLiveMessage) {
  PositionTracker t;
  t.Observe("all", "e", 3);
  t.BeginRecovery();
  t.ReplayEnded();  // reject_history, nothing replayed
  auto back = t.Observe("all", "e", 9);
  EXPECT_EQ(back.verdict, V::kRejoined);
  EXPECT_EQ(back.skipped, 5u);
}

TEST(PositionTracker, SettleCountsWhatARecoveryLeftOpen) {
  PositionTracker t;
  t.Observe("all", "e", 1);
  t.BeginRecovery();
  t.Observe("all", "e", 2);
  t.Observe("all", "e", 5);
  EXPECT_EQ(t.Settle(), 2u);  // 3 and 4
  EXPECT_EQ(t.Settle(), 0u);
  EXPECT_EQ(t.Observe("all", "e", 6).verdict, V::kNext);
}

TEST(PositionTracker, AFarJumpEndsARecoveryWithoutAHugeBitmap) {
  PositionTracker t;
  t.Observe("all", "e", 1);
  t.BeginRecovery();
  auto far = t.Observe("all", "e", uint64_t{1} << 40);
  EXPECT_EQ(far.verdict, V::kRejoined);
  EXPECT_EQ(far.skipped, (uint64_t{1} << 40) - 2);
}

TEST(PositionTracker, HistoryRequestNamesTheLastPositions) {
  PositionTracker none;
  std::string since;
  none.AppendHistoryRequest(since, 1700000000);
  EXPECT_EQ(nlohmann::json::parse(since), nlohmann::json::parse(R"({"since":1700000000})"));

  PositionTracker t;
  t.Observe("all", "ab", 4);
  t.Observe(R"(chat\"1)", "ab", 9);  // escapes are kept as the server sent them
  std::string out;
  t.AppendHistoryRequest(out, 0);
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["streams"]["all"]["offset"], 4);
  EXPECT_EQ(j["streams"]["all"]["epoch"], "ab");
  EXPECT_EQ(j["streams"]["chat\"1"]["offset"], 9);
}

}  // namespace
}  // namespace cable::bench
