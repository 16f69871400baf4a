// FrameReader, the server's RFC 6455 reader, without a socket: what each
// sequence of client bytes turns into (messages, control frames, the close
// code for a violation), including frames split across reads.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/ws/frame.h"
#include "server/session/frame_reader.h"

namespace cable::server {
namespace {

constexpr uint8_t kMask[4] = {0x12, 0x34, 0x56, 0x78};
constexpr size_t kLimit = 1024;

std::string Frame(uint8_t opcode, std::string_view payload, bool fin = true) {
  std::string out;
  ws::AppendMaskedFrame(out, opcode, payload, kMask, fin);
  return out;
}

// Records every event as a line, e.g. "text:hi" or "error:1002".
struct Recorder : FrameReader::Events {
  std::vector<std::string> events;
  bool keep_reading = true;
  int frames = 0;
  void OnFrame() override { ++frames; }
  bool OnText(std::string_view m) override {
    events.push_back("text:" + std::string(m));
    return keep_reading;
  }
  bool OnBinary(size_t n) override {
    events.push_back("binary:" + std::to_string(n));
    return true;
  }
  bool OnPing(std::string_view p) override {
    events.push_back("ping:" + std::string(p));
    return true;
  }
  bool OnPong() override {
    events.push_back("pong");
    return true;
  }
  void OnClose(uint16_t code) override { events.push_back("close:" + std::to_string(code)); }
  void OnProtocolError(uint16_t code, std::string_view) override {
    events.push_back("error:" + std::to_string(code));
  }
};

std::vector<std::string> Read(std::string bytes, size_t limit = kLimit) {
  FrameReader reader;
  Recorder r;
  reader.Feed(bytes.data(), bytes.size(), limit, r);
  return r.events;
}

using Events = std::vector<std::string>;

TEST(FrameReaderTest, TextBinaryAndControlFramesBecomeEvents) {
  EXPECT_EQ(Read(Frame(0x1, "hi") + Frame(0x9, "p") + Frame(0xA, "") + Frame(0x2, "abc")),
            (Events{"text:hi", "ping:p", "pong", "binary:3"}));
}

TEST(FrameReaderTest, AFrameSplitAcrossReadsIsKeptUntilComplete) {
  std::string bytes = Frame(0x1, std::string(300, 'x')) + Frame(0x1, "next");
  FrameReader reader;
  Recorder r;
  for (size_t i = 0; i < bytes.size(); i += 7) {
    std::string chunk = bytes.substr(i, 7);
    reader.Feed(chunk.data(), chunk.size(), kLimit, r);
  }
  EXPECT_EQ(r.events, (Events{"text:" + std::string(300, 'x'), "text:next"}));
}

TEST(FrameReaderTest, FragmentsAreReassembledWithControlFramesBetween) {
  EXPECT_EQ(
      Read(Frame(0x1, "he", false) + Frame(0x9, "") + Frame(0x0, "ll", false) + Frame(0x0, "o")),
      (Events{"ping:", "text:hello"}));
}

TEST(FrameReaderTest, EveryFrameIncludingFragmentsIsReportedAsASignOfLife) {
  FrameReader reader;
  Recorder r;
  std::string bytes = Frame(0x1, "a", false) + Frame(0x9, "") + Frame(0x0, "b");
  reader.Feed(bytes.data(), bytes.size(), kLimit, r);
  EXPECT_EQ(r.frames, 3);
}

TEST(FrameReaderTest, ContinuationWithoutAStartIsAProtocolError) {
  EXPECT_EQ(Read(Frame(0x0, "x")), (Events{"error:1002"}));
}

TEST(FrameReaderTest, ANewMessageInsideAFragmentedOneIsAProtocolError) {
  EXPECT_EQ(Read(Frame(0x1, "a", false) + Frame(0x1, "b")), (Events{"error:1002"}));
}

TEST(FrameReaderTest, UnmaskedReservedBitsAndUnknownOpcodesAreProtocolErrors) {
  std::string unmasked = "\x81\x02hi";
  EXPECT_EQ(Read(unmasked), (Events{"error:1002"}));
  std::string rsv = Frame(0x1, "hi");
  rsv[0] = static_cast<char>(rsv[0] | 0x40);
  EXPECT_EQ(Read(rsv), (Events{"error:1002"}));
  EXPECT_EQ(Read(Frame(0x3, "")), (Events{"error:1002"}));
  EXPECT_EQ(Read(Frame(0xB, "")), (Events{"error:1002"}));
}

TEST(FrameReaderTest, ControlFramesMustBeShortAndFinal) {
  EXPECT_EQ(Read(Frame(0x9, std::string(126, 'p'))), (Events{"error:1002"}));
  EXPECT_EQ(Read(Frame(0x9, "p", false)), (Events{"error:1002"}));
}

TEST(FrameReaderTest, MessagesOverTheLimitCloseWith1009) {
  EXPECT_EQ(Read(Frame(0x1, std::string(kLimit + 1, 'x'))), (Events{"error:1009"}));
  // The limit holds for the reassembled message, not only for one frame.
  EXPECT_EQ(Read(Frame(0x1, std::string(600, 'x'), false) + Frame(0x0, std::string(600, 'y'))),
            (Events{"error:1009"}));
}

TEST(FrameReaderTest, TextThatIsNotUtf8ClosesWith1007) {
  EXPECT_EQ(Read(Frame(0x1, "\xc3\x28")), (Events{"error:1007"}));
  EXPECT_EQ(Read(Frame(0x1, "\xe2\x82", false) + Frame(0x0, "\xac")),
            (Events{"text:\xe2\x82\xac"}));
}

TEST(FrameReaderTest, CloseStopsReadingAndInvalidClosePayloadsAreErrors) {
  EXPECT_EQ(Read(Frame(0x8, std::string("\x03\xe8", 2)) + Frame(0x1, "after")),
            (Events{"close:1000"}));
  EXPECT_EQ(Read(Frame(0x8, "")), (Events{"close:1005"}));
  EXPECT_EQ(Read(Frame(0x8, std::string("\x03\xed", 2))), (Events{"error:1002"}));  // 1005
  EXPECT_EQ(Read(Frame(0x8, "\x03")), (Events{"error:1002"}));
  EXPECT_EQ(Read(Frame(0x8, std::string("\x03\xe8\xff", 3))), (Events{"error:1007"}));
}

TEST(FrameReaderTest, AHandlerThatStopsReadingEndsTheFeed) {
  std::string bytes = Frame(0x1, "one") + Frame(0x1, "two");
  FrameReader reader;
  Recorder r;
  r.keep_reading = false;
  reader.Feed(bytes.data(), bytes.size(), kLimit, r);
  EXPECT_EQ(r.events, (Events{"text:one"}));
}

TEST(FrameReaderTest, A64BitLengthWithTheTopBitSetIsAProtocolError) {
  // RFC 6455 §5.2. With a limit near 2^64 such a length used to wrap the
  // end-of-frame computation and unmask past the buffer (found by fuzzing).
  std::string frame = "\x82\xff";
  frame += std::string(8, '\xff');
  frame += std::string(reinterpret_cast<const char*>(kMask), 4);
  EXPECT_EQ(Read(frame, SIZE_MAX), (Events{"error:1002"}));
}

TEST(FrameReaderTest, NothingIsReadAfterAnError) {
  FrameReader reader;
  Recorder r;
  std::string bad = Frame(0x0, "x");
  reader.Feed(bad.data(), bad.size(), kLimit, r);
  std::string good = Frame(0x1, "ok");
  reader.Feed(good.data(), good.size(), kLimit, r);
  EXPECT_EQ(r.events, (Events{"error:1002"}));
  EXPECT_TRUE(reader.stopped());
}

}  // namespace
}  // namespace cable::server
