// --shard and --start-at parsing, and the split of clients, streams and
// work between shards: N shards together must be exactly one run.

#include "bench/shard.h"

#include <gtest/gtest.h>

#include <set>

namespace cable::bench {
namespace {

TEST(Shard, ParsesIndexAndCount) {
  auto s = ParseShard("2/3", nullptr);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->index, 2);
  EXPECT_EQ(s->count, 3);
  EXPECT_EQ(ParseShard("1/1", nullptr)->count, 1);
}

TEST(Shard, RefusesShardsThatDoNotExistAndJunk) {
  for (const char* bad : {"0/3", "4/3", "-1/3", "1/0", "x", "1", "1/", "a/3", "1/3x", "2/3/4",
                          " 1/3", "1/100000", "99999999999999999999/3"}) {
    auto s = ParseShard(bad, nullptr);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_TRUE(s.error().IsUsage()) << bad;
    EXPECT_NE(s.error().message.find("--shard"), std::string::npos) << s.error().message;
  }
  EXPECT_NE(ParseShard("4/3", nullptr).error().message.find("shards are 1..3"), std::string::npos);
}

TEST(Shard, AutoTakesTheIndexFromTheJobCompletionIndex) {
  EXPECT_EQ(ParseShard("auto/3", "0")->index, 1);
  EXPECT_EQ(ParseShard("auto/3", "2")->index, 3);
  EXPECT_EQ(ParseShard("/3", "1")->index, 2);
  EXPECT_FALSE(ParseShard("auto/3", "3").ok());
  EXPECT_FALSE(ParseShard("auto/3", "one").ok());
  auto unset = ParseShard("auto/3", nullptr);
  ASSERT_FALSE(unset.ok());
  EXPECT_NE(unset.error().message.find("JOB_COMPLETION_INDEX"), std::string::npos);
}

TEST(Shard, StartAtAcceptsRfc3339UnixSecondsAndRelativeTimes) {
  const int64_t now = 1'735'787'045'000'000'000;  // 2025-01-02T03:04:05Z
  EXPECT_EQ(*ParseStartAt("2025-01-02T03:04:15Z", now), now + 10'000'000'000);
  EXPECT_EQ(*ParseStartAt("2025-01-02T03:04:15.250Z", now), now + 10'250'000'000);
  EXPECT_EQ(*ParseStartAt("2025-01-02T04:04:15+01:00", now), now + 10'000'000'000);
  EXPECT_EQ(*ParseStartAt("1735787055", now), now + 10'000'000'000);
  EXPECT_EQ(*ParseStartAt("1735787055.5", now), now + 10'500'000'000);
  EXPECT_EQ(*ParseStartAt("+10s", now), now + 10'000'000'000);
  EXPECT_EQ(*ParseStartAt("+10", now), now + 10'000'000'000);
  EXPECT_EQ(*ParseStartAt("+1.5m", now), now + 90'000'000'000);
  EXPECT_EQ(*ParseStartAt("+250ms", now), now + 250'000'000);
  EXPECT_EQ(FormatUtcMillis(now + 250'000'000), "2025-01-02T03:04:05.250Z");
}

TEST(Shard, StartAtInThePastIsRefusedBeyondTheGrace) {
  const int64_t now = 1'735'787'045'000'000'000;
  EXPECT_TRUE(ParseStartAt("2025-01-02T03:04:04Z", now).ok()) << "within the grace";
  auto past = ParseStartAt("2025-01-02T03:04:00Z", now);
  ASSERT_FALSE(past.ok());
  EXPECT_TRUE(past.error().IsUsage());
  EXPECT_NE(past.error().message.find("in the past"), std::string::npos);
  EXPECT_FALSE(ParseStartAt("1735787045000", now).ok()) << "milliseconds, not seconds";
  for (const char* junk : {"", "soon", "+", "+x", "+-5s", "2025-13-02T03:04:05Z",
                           "2025-01-02T03:04:05", "2025-01-02T03:04:05+1:00", "1e9"}) {
    auto r = ParseStartAt(junk, now);
    EXPECT_FALSE(r.ok()) << junk;
  }
}

TEST(Shard, SharesAddUpToTheWhole) {
  for (int64_t total : {0, 1, 7, 1000, 1001}) {
    for (int64_t slots : {1, 2, 3, 8}) {
      int64_t sum = 0;
      for (int64_t s = 0; s < slots; ++s) sum += ShareOf(total, s, slots);
      EXPECT_EQ(sum, total) << total << " over " << slots;
    }
  }
}

// Every client is in exactly one shard, with its global number.
TEST(Shard, ClientsAndStreamsArePartitioned) {
  BenchOptions o;
  o.clients = 1001;
  o.streams = 6;
  o.shard_count = 3;
  std::set<int> seen;
  for (int i = 1; i <= 3; ++i) {
    o.shard_index = i;
    for (int local = 0; local < ShardClients(o); ++local) {
      const int client = ShardClient(o, local);
      EXPECT_TRUE(seen.insert(client).second);
      // Its stream is one this shard publishes to.
      EXPECT_TRUE(OwnsStream(o, client % o.streams)) << client;
    }
    EXPECT_EQ(OwnedStreams(o), 2);
  }
  EXPECT_EQ(seen.size(), 1001u);
  EXPECT_EQ(*seen.rbegin(), 1000);
}

TEST(Shard, ValidateRefusesSplitsThatCannotCountExactly) {
  BenchOptions o;
  o.shard_index = 1;
  o.shard_count = 3;
  o.clients = 30;
  o.streams = 2;
  auto s = ValidateShard(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("multiple of 3"), std::string::npos) << s.error().message;
  o.streams = 6;
  EXPECT_TRUE(ValidateShard(o).ok());
  o.scenario = Scenario::kEcho;
  o.streams = 1;
  EXPECT_TRUE(ValidateShard(o).ok()) << "echo clients count their own replies";
  o.scenario = Scenario::kPresence;
  EXPECT_FALSE(ValidateShard(o).ok());
  o.scenario = Scenario::kConnect;
  o.clients = 2;
  EXPECT_FALSE(ValidateShard(o).ok()) << "fewer clients than shards";
}

}  // namespace
}  // namespace cable::bench
