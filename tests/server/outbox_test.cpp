// Outbox::DropUnstarted, which the slow-client path relies on: what is
// dropped must never cut a frame the transport has begun to write (in part,
// or, with TLS, taken into a record not yet confirmed).

#include "server/session/outbox.h"

#include <gtest/gtest.h>

#include <string>

namespace cable::server {
namespace {

FrameRef Frame(size_t size, char c) {
  return FrameRef::Make(std::string(size, c));
}

// The unsent bytes in order, as the transport would see them.
std::string Unsent(const Outbox& box) {
  std::string out;
  for (size_t i = 0; i < box.count(); ++i) {
    out += box.at(i).bytes().substr(i == 0 ? box.head_offset() : 0);
  }
  return out;
}

TEST(OutboxTest, DropUnstartedDropsEverythingWhenNothingWasWritten) {
  Outbox box;
  box.Push(Frame(10, 'a'));
  box.Push(Frame(10, 'b'));
  box.DropUnstarted();
  EXPECT_TRUE(box.empty());
  EXPECT_EQ(box.pending_bytes(), 0u);
}

TEST(OutboxTest, DropUnstartedKeepsTheRestOfAPartlyWrittenFrame) {
  Outbox box;
  box.Push(Frame(10, 'a'));
  box.Push(Frame(10, 'b'));
  box.Consume(4);
  box.DropUnstarted();
  EXPECT_EQ(Unsent(box), std::string(6, 'a'));
  EXPECT_EQ(box.pending_bytes(), 6u);
}

TEST(OutboxTest, DropUnstartedKeepsEveryFrameTouchedByBytesInFlight) {
  Outbox box;
  box.Push(Frame(10, 'a'));
  box.Push(Frame(10, 'b'));
  box.Push(Frame(10, 'c'));
  box.Push(Frame(10, 'd'));
  box.Consume(5);
  // 5 of a, 10 of b and 1 of c are in flight: a, b and c stay, d goes.
  box.DropUnstarted(16);
  EXPECT_EQ(Unsent(box), std::string(5, 'a') + std::string(10, 'b') + std::string(10, 'c'));
  EXPECT_EQ(box.pending_bytes(), 25u);
}

TEST(OutboxTest, DropUnstartedKeepsWholeFramesInFlightFromTheStart) {
  Outbox box;
  box.Push(Frame(10, 'a'));
  box.Push(Frame(10, 'b'));
  box.DropUnstarted(10);
  EXPECT_EQ(Unsent(box), std::string(10, 'a'));
  box.Push(Frame(3, 'z'));
  EXPECT_EQ(box.pending_bytes(), 13u);
  box.Consume(13);
  EXPECT_TRUE(box.empty());
}

}  // namespace
}  // namespace cable::server
