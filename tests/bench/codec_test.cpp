#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bench/payload.h"
#include "bench/scanner.h"
#include "bench/ws_codec.h"

namespace cable::bench {
namespace {

std::string Unmask(const std::string& frame, FrameHeader* h) {
  EXPECT_TRUE(ParseFrameHeader(frame.data(), frame.size(), h));
  std::string p = frame.substr(h->header_size);
  for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<char>(p[i] ^ h->mask[i & 3]);
  return p;
}

TEST(WsCodec, ClientFramesAreMaskedInAllLengthForms) {
  for (size_t len : {0u, 5u, 125u, 126u, 1000u, 65535u, 70000u}) {
    std::string payload(len, 'a');
    for (size_t i = 0; i < len; ++i) payload[i] = static_cast<char>('a' + i % 26);
    std::string frame;
    AppendClientFrame(frame, kOpText, payload, 0x12345678);
    FrameHeader h;
    EXPECT_EQ(Unmask(frame, &h), payload) << len;
    EXPECT_TRUE(h.masked);
    EXPECT_TRUE(h.fin);
    EXPECT_EQ(h.opcode, kOpText);
    EXPECT_EQ(h.payload_size, len);
  }
}

TEST(WsCodec, IncompleteHeaders) {
  FrameHeader h;
  const char two[] = {'\x81', '\x7e'};
  EXPECT_FALSE(ParseFrameHeader(two, 2, &h));
  const char one[] = {'\x81'};
  EXPECT_FALSE(ParseFrameHeader(one, 1, &h));
  const char server[] = {'\x81', '\x03', 'a', 'b', 'c'};
  ASSERT_TRUE(ParseFrameHeader(server, 5, &h));
  EXPECT_EQ(h.header_size, 2u);
  EXPECT_FALSE(h.masked);
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

}  // namespace
}  // namespace cable::bench
