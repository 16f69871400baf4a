// The hub's delivery (HubShard::DeliverVia, which Deliver inlines with the
// session's own calls): one frame per identifier group shared by its
// sessions, exclude_socket, a session under two identifiers, an indexed
// stream after removals. Sessions are stand-ins; no socket is involved.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "common/ws/frame.h"
#include "server/hub/broadcast.h"
#include "server/hub/hub_shard.h"
#include "server/hub_stand_ins.h"
#include "server/protocol/messages.h"

namespace cable::server {
namespace {

using hub_testing::S;

// Stands in for the sessions: a sid per placeholder and the frames each got.
struct Recipients {
  std::map<Session*, std::string> sids;
  std::map<Session*, std::vector<FrameRef>> frames;
  size_t Deliver(HubShard& hub, const Broadcast& broadcast) {
    return hub.DeliverVia(
        broadcast, [this](Session* s) -> const std::string& { return sids.at(s); },
        [this](Session* s, const FrameRef& frame) { frames[s].push_back(frame); });
  }
};

std::string Expected(const std::string& identifier, const std::string& data, bool json = false) {
  return ws::EncodeFrame(ws::Opcode::kText, protocol::BroadcastMessage(identifier, data, json));
}

TEST(HubShardDeliveryTest, OneFramePerIdentifierSharedByItsSessions) {
  HubShard hub;
  Recipients r;
  hub.Add("chat", S(0), "id1");
  hub.Add("chat", S(1), "id1");
  hub.Add("chat", S(2), "id2");
  hub.Add("news", S(3), "id1");
  EXPECT_EQ(r.Deliver(hub, *MakeBroadcast("chat", "hello")), 3u);
  ASSERT_EQ(r.frames[S(0)].size(), 1u);
  ASSERT_EQ(r.frames[S(1)].size(), 1u);
  ASSERT_EQ(r.frames[S(2)].size(), 1u);
  EXPECT_EQ(r.frames.count(S(3)), 0u) << "another stream";
  EXPECT_EQ(&r.frames[S(0)][0].bytes(), &r.frames[S(1)][0].bytes()) << "one shared frame";
  EXPECT_NE(&r.frames[S(0)][0].bytes(), &r.frames[S(2)][0].bytes());
  EXPECT_EQ(r.frames[S(0)][0].bytes(), Expected("id1", "hello"));
  EXPECT_EQ(r.frames[S(2)][0].bytes(), Expected("id2", "hello"));
}

TEST(HubShardDeliveryTest, ExcludeSocketSkipsOnlyTheSender) {
  HubShard hub;
  Recipients r;
  r.sids = {{S(0), "a"}, {S(1), "b"}, {S(2), "c"}};
  hub.Add("chat", S(0), "id1");
  hub.Add("chat", S(1), "id1");
  hub.Add("chat", S(2), "id2");
  EXPECT_EQ(r.Deliver(hub, *MakeBroadcast("chat", "hi", "a")), 2u);
  EXPECT_EQ(r.frames.count(S(0)), 0u);
  EXPECT_EQ(r.frames[S(1)].size(), 1u);
  EXPECT_EQ(r.frames[S(2)].size(), 1u);
  EXPECT_EQ(r.Deliver(hub, *MakeBroadcast("chat", "hi", "c")), 2u) << "c alone in its group";
}

TEST(HubShardDeliveryTest, ASessionUnderTwoIdentifiersGetsOneMessagePerIdentifier) {
  HubShard hub;
  Recipients r;
  hub.Add("chat", S(0), "id1");
  hub.Add("chat", S(0), "id2");
  EXPECT_EQ(r.Deliver(hub, *MakeBroadcast("chat", R"({"n":1})")), 2u);
  ASSERT_EQ(r.frames[S(0)].size(), 2u);
  std::vector<std::string> got = {r.frames[S(0)][0].bytes(), r.frames[S(0)][1].bytes()};
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{Expected("id1", R"({"n":1})", true),
                                           Expected("id2", R"({"n":1})", true)}));
}

TEST(HubShardDeliveryTest, ReachesEveryGroupOfAnIndexedStreamAndNoRemovedSession) {
  HubShard hub;
  Recipients r;
  for (size_t i = 0; i < 30; ++i) hub.Add("chat", S(i), "id" + std::to_string(i));
  for (size_t i = 0; i < 30; i += 3) hub.Remove("chat", S(i), "id" + std::to_string(i));
  EXPECT_EQ(r.Deliver(hub, *MakeBroadcast("chat", "x")), 20u);
  for (size_t i = 0; i < 30; ++i) {
    EXPECT_EQ(r.frames[S(i)].size(), i % 3 == 0 ? 0u : 1u) << i;
    if (i % 3 != 0) {
      EXPECT_EQ(r.frames[S(i)][0].bytes(), Expected("id" + std::to_string(i), "x"));
    }
  }
}

}  // namespace
}  // namespace cable::server
