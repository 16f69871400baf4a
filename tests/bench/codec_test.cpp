#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bench/payload.h"
#include "bench/position_tracker.h"
#include "bench/scanner.h"
#include "common/ws/frame.h"

namespace cable::bench {
namespace {

// The client half of the shared codec, as cable bench uses it.
std::string Unmask(std::string frame, ws::FrameHeader* h) {
  uint16_t error = 0;
  EXPECT_EQ(ws::ParseHeader(frame, UINT64_MAX, ws::Sender::kClient, h, &error),
            ws::ParseStatus::kOk);
  std::string p = frame.substr(h->header_len);
  ws::Unmask(p.data(), p.size(), h->mask);
  return p;
}

TEST(WsCodec, ClientFramesAreMaskedInAllLengthForms) {
  const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
  for (size_t len : {0u, 5u, 125u, 126u, 1000u, 65535u, 70000u}) {
    std::string payload(len, 'a');
    for (size_t i = 0; i < len; ++i) payload[i] = static_cast<char>('a' + i % 26);
    std::string frame;
    ws::AppendMaskedFrame(frame, static_cast<uint8_t>(ws::Opcode::kText), payload, mask);
    ws::FrameHeader h;
    EXPECT_EQ(Unmask(frame, &h), payload) << len;
    EXPECT_TRUE(h.masked);
    EXPECT_TRUE(h.fin);
    EXPECT_EQ(h.opcode, ws::Opcode::kText);
    EXPECT_EQ(h.payload_len, len);
  }
}

TEST(WsCodec, ServerFramesIncompleteAndMaskedHeaders) {
  ws::FrameHeader h;
  uint16_t error = 0;
  auto parse = [&](std::string_view bytes) {
    return ws::ParseHeader(bytes, UINT64_MAX, ws::Sender::kServer, &h, &error);
  };
  EXPECT_EQ(parse(std::string_view("\x81\x7e", 2)), ws::ParseStatus::kIncomplete);
  EXPECT_EQ(parse(std::string_view("\x81", 1)), ws::ParseStatus::kIncomplete);
  ASSERT_EQ(parse(std::string_view("\x81\x03"
                                   "abc",
                                   5)),
            ws::ParseStatus::kOk);
  EXPECT_EQ(h.header_len, 2u);
  EXPECT_FALSE(h.masked);
  // A server must not mask its frames (RFC 6455 §5.1).
  EXPECT_EQ(parse(std::string_view("\x81\x83"
                                   "abcdefg",
                                   9)),
            ws::ParseStatus::kError);
  EXPECT_EQ(error, ws::kCloseProtocolError);
}

TEST(Payload, ExactSizeAndValidJson) {
  for (int size : {0, 40, 100, 1000}) {
    std::string out;
    AppendPayload(out, "broadcast", 12, 1234567890123, size);
    auto j = nlohmann::json::parse(out);
    EXPECT_EQ(j["seq"], 12);
    EXPECT_EQ(j["ts"], 1234567890123);
    EXPECT_EQ(j["action"], "broadcast");
    if (size >= 100) {
      EXPECT_EQ(out.size(), static_cast<size_t>(size));
    }
  }
  std::string padded;
  AppendPayload(padded, "", 1, 2, 0, 200);
  EXPECT_EQ(nlohmann::json::parse(padded)["pad"].get<std::string>().size(), 200u);
}

TEST(Payload, PerformCommandRoundTrips) {
  std::string id = R"({"channel":"BenchmarkChannel","id":3})";
  std::string escaped;
  AppendJsonEscaped(escaped, id);
  std::string data;
  AppendPayload(data, "echo", 5, 77, 100);
  std::string cmd;
  AppendPerformCommand(cmd, escaped, data);
  auto j = nlohmann::json::parse(cmd);
  EXPECT_EQ(j["command"], "message");
  EXPECT_EQ(j["identifier"], id);
  EXPECT_EQ(nlohmann::json::parse(j["data"].get<std::string>())["seq"], 5);
  auto sub = nlohmann::json::parse(SubscribeCommand(id));
  EXPECT_EQ(sub["identifier"], id);
  // What an echo reply looks like to the scanner.
  std::string reply = R"({"identifier":")" + escaped + R"(","message":)" + data + "}";
  auto m = ScanMessage(reply);
  EXPECT_EQ(m.seq, 5);
  EXPECT_EQ(m.ts, 77);
}

TEST(Payload, HistoryCommandsCarryTheLastPositions) {
  std::string id = R"({"channel":"BenchmarkChannel","id":3})";
  std::string escaped;
  AppendJsonEscaped(escaped, id);
  PositionTracker positions;
  positions.Observe("all3", "vRXl", 41);
  for (const char* command : {"history", "subscribe"}) {
    std::string out;
    AppendHistoryCommand(out, command, escaped, positions, 1700000000);
    auto j = nlohmann::json::parse(out);
    EXPECT_EQ(j["command"], command);
    EXPECT_EQ(j["identifier"], id);
    EXPECT_EQ(j["history"]["streams"]["all3"]["offset"], 41);
    EXPECT_EQ(j["history"]["streams"]["all3"]["epoch"], "vRXl");
    EXPECT_FALSE(j["history"].contains("since"));
  }
}

}  // namespace
}  // namespace cable::bench
