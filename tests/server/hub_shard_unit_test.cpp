// HubShard's bookkeeping without sessions: what Add and Remove return for
// the first and last subscriber of a stream, the per-stream counts and
// stream_count(), a session subscribed through two identifiers counted once
// per identifier, and lookups that stay right while a stream's identifiers
// cross the size at which the shard builds its identifier index (more than
// 8), grow it, and drop it again (4 or fewer).
//
// Delivery (one frame per identifier group, exclude_socket) calls
// Session::Send and Session::sid() on real sessions, which need a node, a
// worker and a socket; only its no-subscriber cases are covered here.

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "server/hub/broadcast.h"
#include "server/hub/hub_shard.h"
#include "server/hub_stand_ins.h"

namespace cable::server {
namespace {

using hub_testing::S;

// Short identifiers live inside std::string itself, so a group that moves
// takes its characters along: the case in which a stale index key shows.
std::string Id(size_t i) {
  return "i" + std::to_string(i);
}
std::string LongId(size_t i) {
  return R"({"channel":"ChatChannel","room":)" + std::to_string(i) + "}";
}

TEST(HubShardTest, AddReportsOnlyTheFirstSubscriberOfEachStream) {
  HubShard hub;
  EXPECT_TRUE(hub.Add("chat", S(0), Id(1)));
  EXPECT_FALSE(hub.Add("chat", S(1), Id(1))) << "same identifier";
  EXPECT_FALSE(hub.Add("chat", S(2), Id(2))) << "another identifier, same stream";
  EXPECT_TRUE(hub.Add("news", S(0), Id(1))) << "streams are counted apart";
  EXPECT_EQ(hub.subscribers("chat"), 3u);
  EXPECT_EQ(hub.subscribers("news"), 1u);
  EXPECT_EQ(hub.subscribers("other"), 0u);
  EXPECT_EQ(hub.streams(), 2u);
  EXPECT_EQ(hub.stream_count(), 2u);
}

TEST(HubShardTest, RemoveReportsOnlyTheLastSubscriberOfAStream) {
  HubShard hub;
  hub.Add("chat", S(0), Id(1));
  hub.Add("chat", S(1), Id(1));
  hub.Add("chat", S(2), Id(2));
  hub.Add("news", S(0), Id(1));

  EXPECT_FALSE(hub.Remove("chat", S(1), Id(1)));
  EXPECT_EQ(hub.subscribers("chat"), 2u);
  EXPECT_FALSE(hub.Remove("chat", S(2), Id(2))) << "its group empties, the stream does not";
  EXPECT_EQ(hub.subscribers("chat"), 1u);
  EXPECT_EQ(hub.stream_count(), 2u);
  EXPECT_TRUE(hub.Remove("chat", S(0), Id(1)));
  EXPECT_EQ(hub.subscribers("chat"), 0u);
  EXPECT_EQ(hub.streams(), 1u);
  EXPECT_EQ(hub.stream_count(), 1u);

  EXPECT_TRUE(hub.Add("chat", S(3), Id(1))) << "an emptied stream starts again";
  EXPECT_EQ(hub.stream_count(), 2u);
  EXPECT_TRUE(hub.Remove("news", S(0), Id(1)));
  EXPECT_TRUE(hub.Remove("chat", S(3), Id(1)));
  EXPECT_EQ(hub.streams(), 0u);
  EXPECT_EQ(hub.stream_count(), 0u);
}

TEST(HubShardTest, RemovingWhatIsNotThereChangesNothing) {
  HubShard hub;
  EXPECT_FALSE(hub.Remove("chat", S(0), Id(1))) << "unknown stream";
  hub.Add("chat", S(0), Id(1));
  EXPECT_FALSE(hub.Remove("chat", S(0), Id(2))) << "unknown identifier";
  EXPECT_FALSE(hub.Remove("chat", S(1), Id(1))) << "session not under that identifier";
  EXPECT_FALSE(hub.Remove("news", S(0), Id(1)));
  EXPECT_EQ(hub.subscribers("chat"), 1u);
  EXPECT_EQ(hub.stream_count(), 1u);
  EXPECT_TRUE(hub.Remove("chat", S(0), Id(1)));
}

TEST(HubShardTest, ASessionUnderTwoIdentifiersIsOneSubscriberPerIdentifier) {
  HubShard hub;
  EXPECT_TRUE(hub.Add("chat", S(0), Id(1)));
  EXPECT_FALSE(hub.Add("chat", S(0), Id(2)));
  EXPECT_EQ(hub.subscribers("chat"), 2u);
  EXPECT_FALSE(hub.Remove("chat", S(0), Id(1))) << "still subscribed through the other one";
  EXPECT_EQ(hub.subscribers("chat"), 1u);
  EXPECT_FALSE(hub.Remove("chat", S(0), Id(1))) << "already gone under that identifier";
  EXPECT_TRUE(hub.Remove("chat", S(0), Id(2)));
}

TEST(HubShardTest, StreamCountFollowsStreamsNotSubscribers) {
  HubShard hub;
  for (size_t i = 0; i < 10; ++i) hub.Add("chat", S(i), Id(i % 3));
  EXPECT_EQ(hub.stream_count(), 1u);
  for (size_t i = 0; i < 5; ++i) hub.Add("room/" + std::to_string(i), S(0), Id(0));
  EXPECT_EQ(hub.stream_count(), 6u);
  EXPECT_EQ(hub.stream_count(), hub.streams());
  for (size_t i = 0; i < 5; ++i) hub.Remove("room/" + std::to_string(i), S(0), Id(0));
  EXPECT_EQ(hub.stream_count(), 1u);
}

// Removes `session` under `identifier` and checks that exactly that one
// subscription went away.
void ExpectRemoved(HubShard& hub, Session* session, const std::string& identifier,
                   bool last = false) {
  const size_t before = hub.subscribers("chat");
  EXPECT_EQ(hub.Remove("chat", session, identifier), last) << identifier;
  EXPECT_EQ(hub.subscribers("chat"), before - 1) << identifier << " was not found";
}

TEST(HubShardTest, EveryIdentifierStaysFindableAsTheIndexIsBuiltAndGrows) {
  // 1..8 identifiers are scanned; the 9th builds the index; later ones are
  // added to it or, when the group vector reallocates, rebuild it.
  for (auto make : {Id, LongId}) {
    HubShard hub;
    constexpr size_t kIds = 40;
    for (size_t i = 0; i < kIds; ++i) {
      hub.Add("chat", S(0), make(i));
      // Another session under an identifier seen before must join its
      // group, which only a working lookup finds.
      hub.Add("chat", S(1 + i % 2), make(i / 2));
    }
    EXPECT_EQ(hub.subscribers("chat"), 2 * kIds);
    for (size_t i = 0; i < kIds; ++i) ExpectRemoved(hub, S(1 + i % 2), make(i / 2));
    for (size_t i = 0; i + 1 < kIds; ++i) ExpectRemoved(hub, S(0), make(i));
    ExpectRemoved(hub, S(0), make(kIds - 1), /*last=*/true);
  }
}

TEST(HubShardTest, GroupsMovedByRemovalStayFindableWithAndWithoutTheIndex) {
  // Removing a group moves the last one into its place. Removing from the
  // front moves every later group once, first while indexed (more than 8
  // groups), then after the index is dropped (4 or fewer), then indexed
  // again when the stream grows back.
  HubShard hub;
  constexpr size_t kIds = 20;
  for (size_t i = 0; i < kIds; ++i) hub.Add("chat", S(i), Id(i));
  hub.Add("chat", S(kIds), Id(kIds - 1));  // keeps the stream alive throughout

  for (size_t i = 0; i + 2 < kIds; ++i) ExpectRemoved(hub, S(i), Id(i));
  EXPECT_EQ(hub.subscribers("chat"), 3u);

  for (size_t i = 0; i < kIds; ++i) EXPECT_FALSE(hub.Add("chat", S(i), Id(100 + i)));
  for (size_t i = 0; i < kIds; i += 2) ExpectRemoved(hub, S(i), Id(100 + i));
  ExpectRemoved(hub, S(kIds - 2), Id(kIds - 2));
  for (size_t i = 1; i < kIds; i += 2) ExpectRemoved(hub, S(i), Id(100 + i));
  ExpectRemoved(hub, S(kIds - 1), Id(kIds - 1));
  ExpectRemoved(hub, S(kIds), Id(kIds - 1), /*last=*/true);
  EXPECT_EQ(hub.stream_count(), 0u);
}

TEST(HubShardTest, DeliverReachesNoOneOnAStreamWithoutSubscribers) {
  HubShard hub;
  EXPECT_EQ(hub.Deliver(*MakeBroadcast("chat", "hello")), 0u);
  hub.Add("chat", S(0), Id(1));
  hub.Remove("chat", S(0), Id(1));
  EXPECT_EQ(hub.Deliver(*MakeBroadcast("chat", "hello")), 0u);
  hub.Add("news", S(0), Id(1));
  EXPECT_EQ(hub.Deliver(*MakeBroadcast("chat", "hello")), 0u) << "another stream's subscribers";
}

}  // namespace
}  // namespace cable::server
