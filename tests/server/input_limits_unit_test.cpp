// The pure pieces behind the server's limits on hostile input: JSON nesting,
// close-frame payloads, request targets in absolute form, the shared budget
// for request bodies and the decision to give memory back. Each fails at
// the function, without a server.

#include <gtest/gtest.h>

#include <string>

#include "common/json_depth.h"
#include "common/ws/frame.h"
#include "server/broadcast/publication_parser.h"
#include "server/hub/broadcast.h"
#include "server/memory_reclaimer.h"
#include "server/protocol/client_command.h"
#include "server/transport/body_budget.h"
#include "server/transport/request_info.h"

namespace cable::server {
namespace {

std::string Nested(int depth) {
  return std::string(static_cast<size_t>(depth), '[') +
         std::string(static_cast<size_t>(depth), ']');
}

TEST(JsonDepthTest, CountsArraysAndObjectsButNotBracketsInStrings) {
  EXPECT_TRUE(JsonDepthWithin(Nested(kMaxJsonDepth)));
  EXPECT_FALSE(JsonDepthWithin(Nested(kMaxJsonDepth + 1)));
  EXPECT_TRUE(JsonDepthWithin(R"({"a":"[[[[[[[[[[[[","b":"\"[[[["})", 2));
  EXPECT_FALSE(JsonDepthWithin(R"({"a":{"b":[1]}})", 2));
}

TEST(JsonDepthTest, ClientCommandNestedTooDeepIsRefusedBeforeParsing) {
  // 100,000 levels inside a whisper's data used to be re-serialised
  // recursively and overflow the stack.
  const std::string frame =
      R"({"command":"whisper","identifier":"{}","data":)" + Nested(100000) + "}";
  auto parsed = protocol::ParseClientCommand(frame);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, "too_deep");
}

TEST(JsonDepthTest, ClientCommandWithOrdinaryNestingIsParsed) {
  auto parsed =
      protocol::ParseClientCommand(R"({"command":"whisper","identifier":"{}","data":{"a":[[1]]}})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->data, R"({"a":[[1]]})");
}

TEST(BroadcastDataTest, DataWithANulOrALeadingBomIsNotEmbeddedAsJson) {
  // nlohmann's accept() stops at NUL and skips a BOM; copying such data raw
  // into the message would send invalid JSON to every subscriber.
  EXPECT_TRUE(MakeBroadcast("s", R"({"a":1})")->data_is_json);
  EXPECT_FALSE(MakeBroadcast("s", std::string("1\0x", 3))->data_is_json);
  EXPECT_FALSE(MakeBroadcast("s", "\xEF\xBB\xBF{}")->data_is_json);
}

TEST(JsonDepthTest, PublicationNestedTooDeepIsRefused) {
  auto parsed = ParsePublication("[" + Nested(100000) + "]");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("nests deeper"), std::string::npos);
}

std::string ClosePayload(uint16_t code, std::string reason = {}) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xFF));
  return p + reason;
}

TEST(ClosePayloadTest, AcceptsEmptyAndEveryCodeAPeerMaySend) {
  EXPECT_EQ(ws::CheckClosePayload(""), 0);
  for (uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                        3000, 3999, 4000, 4999}) {
    EXPECT_EQ(ws::CheckClosePayload(ClosePayload(code, "bye")), 0) << code;
  }
}

TEST(ClosePayloadTest, RefusesCodesThatMustNotBeSentWithProtocolError) {
  for (uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    EXPECT_EQ(ws::CheckClosePayload(ClosePayload(code)), ws::kCloseProtocolError) << code;
  }
}

TEST(ClosePayloadTest, RefusesAOneBytePayloadAndAReasonThatIsNotUtf8) {
  EXPECT_EQ(ws::CheckClosePayload(std::string(1, '\x03')), ws::kCloseProtocolError);
  EXPECT_EQ(ws::CheckClosePayload(ClosePayload(1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce")),
            ws::kCloseInvalidPayload);
  EXPECT_EQ(ws::CheckClosePayload(ClosePayload(1000, "\xce\xba\xe1\xbd\xb9")), 0);
}

TEST(RequestTargetTest, OriginFormSplitsPathAndQuery) {
  auto t = SplitTarget("/cable?jid=x&pi=5");
  EXPECT_EQ(t.path, "/cable");
  EXPECT_EQ(t.query, "jid=x&pi=5");
  EXPECT_EQ(t.authority, "");
}

TEST(RequestTargetTest, AbsoluteFormIsRoutedByItsPath) {
  // What Ruby's Net::HTTP sends (RFC 7230 §5.3.2).
  auto t = SplitTarget("http://localhost:8090/_broadcast");
  EXPECT_EQ(t.path, "/_broadcast");
  EXPECT_EQ(t.query, "");
  EXPECT_EQ(t.authority, "localhost:8090");

  t = SplitTarget("https://[::1]:8080/cable?a=1");
  EXPECT_EQ(t.path, "/cable");
  EXPECT_EQ(t.query, "a=1");
  EXPECT_EQ(t.authority, "[::1]:8080");
}

TEST(RequestTargetTest, AbsoluteFormWithoutPathIsTheRoot) {
  auto t = SplitTarget("http://example.com");
  EXPECT_EQ(t.path, "/");
  EXPECT_EQ(t.authority, "example.com");
  t = SplitTarget("http://example.com?x=1");
  EXPECT_EQ(t.path, "/");
  EXPECT_EQ(t.query, "x=1");
}

TEST(RequestTargetTest, SchemeLikeTextInAPathOrQueryIsNotAnAuthority) {
  auto t = SplitTarget("/redirect?to=http://evil.example/x");
  EXPECT_EQ(t.path, "/redirect");
  EXPECT_EQ(t.authority, "");
  t = SplitTarget("/a://b");
  EXPECT_EQ(t.path, "/a://b");
  EXPECT_EQ(t.authority, "");
}

TEST(BodyBudgetTest, AdmitsBodiesUntilTheLimitAndTakesReleasedBytesBack) {
  BodyBudget budget(100);
  auto a = budget.TryReserve(60);
  ASSERT_TRUE(a);
  EXPECT_FALSE(budget.TryReserve(41));
  auto b = budget.TryReserve(40);
  ASSERT_TRUE(b);
  EXPECT_EQ(budget.used(), 100u);
  a.Release();
  EXPECT_EQ(budget.used(), 40u);
  {
    auto c = budget.TryReserve(60);
    EXPECT_TRUE(c);
  }
  EXPECT_EQ(budget.used(), 40u);
}

TEST(BodyBudgetTest, ZeroMeansUnlimited) {
  BodyBudget budget(0);
  EXPECT_TRUE(budget.TryReserve(size_t{1} << 40));
}

TEST(MemoryReclaimerTest, TrimsOnlyAfterALargeDropFromThePeak) {
  EXPECT_FALSE(MemoryReclaimer::ShouldTrim(100, 0));        // too few to matter
  EXPECT_FALSE(MemoryReclaimer::ShouldTrim(15000, 14000));  // under a quarter
  EXPECT_TRUE(MemoryReclaimer::ShouldTrim(15000, 0));
  EXPECT_TRUE(MemoryReclaimer::ShouldTrim(4000, 2900));
  EXPECT_FALSE(MemoryReclaimer::ShouldTrim(4000, 4000));
}

}  // namespace
}  // namespace cable::server
