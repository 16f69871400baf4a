// The permessage-deflate codec and offer negotiation (RFC 7692), checked
// against the RFC's own example bytes and against hostile input.

#include <gtest/gtest.h>

#include "common/ws/deflate.h"

namespace cable::ws {
namespace {

TEST(WsDeflate, InflatesTheRfcExample) {
  // RFC 7692 §7.2.3.1: "Hello" compressed, without the 00 00 ff ff tail.
  const std::string hello("\xf2\x48\xcd\xc9\xc9\x07\x00", 7);
  std::string out;
  ASSERT_EQ(InflateMessage(hello, 1024, &out), InflateStatus::kOk);
  EXPECT_EQ(out, "Hello");
}

TEST(WsDeflate, RoundTripsAndSkipsWhatDoesNotShrink) {
  const std::string text = R"({"identifier":"x","message":")" + std::string(4000, 'z') + "\"}";
  std::string compressed, back;
  ASSERT_TRUE(DeflateMessage(text, &compressed));
  EXPECT_LT(compressed.size(), text.size() / 10);
  ASSERT_EQ(InflateMessage(compressed, text.size(), &back), InflateStatus::kOk);
  EXPECT_EQ(back, text);
  // The same stream state is reused for the next message (no context
  // takeover): a second message decompresses on its own.
  ASSERT_TRUE(DeflateMessage(text, &compressed));
  ASSERT_EQ(InflateMessage(compressed, text.size(), &back), InflateStatus::kOk);
  EXPECT_EQ(back, text);

  EXPECT_FALSE(DeflateMessage("ab", &compressed)) << "two bytes cannot shrink";
  EXPECT_TRUE(compressed.empty());
}

TEST(WsDeflate, OutputAboveTheLimitStopsEarly) {
  std::string compressed, out;
  ASSERT_TRUE(DeflateMessage(std::string(1 << 20, ' '), &compressed));
  EXPECT_EQ(InflateMessage(compressed, 65536, &out), InflateStatus::kTooBig);
  EXPECT_LE(out.size(), 65536u);
  EXPECT_EQ(InflateMessage(compressed, 1 << 20, &out), InflateStatus::kOk);
  EXPECT_EQ(out.size(), 1u << 20) << "exactly at the limit is allowed";
}

TEST(WsDeflate, CorruptInputIsReported) {
  std::string out;
  EXPECT_EQ(InflateMessage(std::string("\xff\xff\xff\xff", 4), 1024, &out),
            InflateStatus::kCorrupt);
}

TEST(WsDeflate, NegotiationAcceptsWhatItCanHonour) {
  const std::string answer =
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
  EXPECT_EQ(NegotiateDeflate("permessage-deflate"), answer);
  EXPECT_EQ(NegotiateDeflate("permessage-deflate; client_max_window_bits"), answer);
  EXPECT_EQ(NegotiateDeflate("permessage-deflate; client_max_window_bits=10"), answer);
  EXPECT_EQ(NegotiateDeflate("permessage-deflate; server_max_window_bits=15"), answer);
  EXPECT_EQ(NegotiateDeflate("permessage-deflate;server_no_context_takeover"), answer);
  EXPECT_EQ(NegotiateDeflate("permessage-deflate; client_max_window_bits=\"12\""), answer);
  EXPECT_EQ(NegotiateDeflate("foo, permessage-deflate; server_max_window_bits=9, "
                             "permessage-deflate"),
            answer);

  EXPECT_EQ(NegotiateDeflate(""), std::nullopt);
  EXPECT_EQ(NegotiateDeflate("permessage-deflate; server_max_window_bits=9"), std::nullopt);
  EXPECT_EQ(NegotiateDeflate("permessage-deflate; client_max_window_bits=7"), std::nullopt);
  EXPECT_EQ(NegotiateDeflate("permessage-deflate; server_no_context_takeover=1"), std::nullopt);
  EXPECT_EQ(NegotiateDeflate("permessage-deflate; unknown"), std::nullopt);
  EXPECT_EQ(NegotiateDeflate("permessage-deflate; client_max_window_bits; client_max_window_bits"),
            std::nullopt);
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "x-nothing, ";
  EXPECT_EQ(NegotiateDeflate(many + "permessage-deflate"), std::nullopt)
      << "only the first offers are looked at";
}

}  // namespace
}  // namespace cable::ws
