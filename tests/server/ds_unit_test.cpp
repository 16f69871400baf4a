// The pure parts of the Durable Streams read API (spec §11.3): request
// parameters and offsets as anycable-go decodes them, the cursor, and the
// bytes of JSON batches and SSE events.

#include <gtest/gtest.h>

#include <chrono>

#include "server/ds/ds_encoding.h"
#include "server/ds/ds_params.h"

namespace cable::server::ds {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

BroadcastPtr Message(std::string data, bool json, uint64_t offset) {
  auto b = MakeBroadcast("s", std::move(data));
  b->data_is_json = json;
  b->offset = offset;
  b->epoch = "ep";
  return b;
}

TEST(DsParams, OffsetsDecodeAsAnycableGoDecodesThem) {
  uint64_t offset = 7;
  std::string epoch = "x";
  for (const char* reserved : {"", "0", "-1", "now"}) {
    ASSERT_TRUE(DecodeOffset(reserved, &offset, &epoch)) << reserved;
    EXPECT_EQ(offset, 0u);
    EXPECT_EQ(epoch, "");
  }
  ASSERT_TRUE(DecodeOffset("42::abc", &offset, &epoch));
  EXPECT_EQ(offset, 42u);
  EXPECT_EQ(epoch, "abc");
  ASSERT_TRUE(DecodeOffset("5", &offset, &epoch));
  EXPECT_EQ(epoch, "") << "valid, but no epoch to read from (410 later)";
  ASSERT_TRUE(DecodeOffset("5::e::more", &offset, &epoch));
  EXPECT_EQ(epoch, "e");
  for (const char* bad : {"abc", "-5", "+5", "1x::e", "::e", "18446744073709551616::e"}) {
    EXPECT_FALSE(DecodeOffset(bad, &offset, &epoch)) << bad;
  }
  EXPECT_EQ(EncodeOffset(3, "ep"), "3::ep");
  EXPECT_EQ(EncodeOffset(3, ""), "0") << "a stream with nothing stored";
}

TEST(DsParams, RequestsNeedAStreamAKnownModeAndAnOffsetToGoLive) {
  auto plain = ParseDsParams("chat%2F42", {}, "");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->stream, "chat/42");
  EXPECT_EQ(plain->raw_offset, "-1") << "a catch-up read starts at the start";
  EXPECT_TRUE(plain->from_start());
  EXPECT_EQ(ParseDsParams("a+b", {}, "")->stream, "a+b") << "a path keeps its plus signs";

  auto sse = ParseDsParams("s", {{"live", "sse"}, {"offset", "now"}, {"cursor", "9"}}, "sig");
  ASSERT_TRUE(sse.ok());
  EXPECT_EQ(sse->live, LiveMode::kSse);
  EXPECT_TRUE(sse->from_now());
  EXPECT_EQ(sse->cursor, "9");
  EXPECT_EQ(sse->signed_name, "sig") << "X-Signed when there is no `signed`";
  EXPECT_EQ(ParseDsParams("s", {{"signed", "q"}}, "h")->signed_name, "q");

  EXPECT_FALSE(ParseDsParams("", {}, "").ok());
  EXPECT_FALSE(ParseDsParams("s", {{"live", "long-poll"}}, "").ok());
  EXPECT_FALSE(ParseDsParams("s", {{"live", "poll"}, {"offset", "-1"}}, "").ok());
  EXPECT_FALSE(ParseDsParams(std::string(kMaxStreamBytes + 1, 's'), {}, "").ok());
  EXPECT_FALSE(ParseDsParams("s", {{"offset", std::string(kMaxOffsetBytes + 1, '1')}}, "").ok());
}

TEST(DsParams, CursorsCountTwentySecondIntervalsAndMovePastTheClients) {
  const auto at = system_clock::time_point(seconds(1728432000 + 20 * 1000 + 5));
  EXPECT_EQ(NextCursor("", at), "1000");
  EXPECT_EQ(NextCursor("999", at), "1000") << "an older cursor changes nothing";
  EXPECT_EQ(NextCursor("junk", at), "1000");
  for (const char* client : {"1000", "1500"}) {
    const long long next = std::stoll(NextCursor(client, at));
    EXPECT_GT(next, std::stoll(client));
    EXPECT_LE(next, std::stoll(client) + 60);
  }
}

TEST(DsEncoding, BatchesAreJsonArraysOfTheDataAsPublished) {
  std::vector<BroadcastPtr> batch = {Message(R"({"a":1})", true, 1),
                                     Message("not \"json\"", false, 2)};
  EXPECT_EQ(JsonBatch(batch), R"([{"a":1},"not \"json\""])");
  EXPECT_EQ(JsonBatch({}), "[]");
}

TEST(DsEncoding, SseEventsAreAnycableGosWithOneDataLinePerLine) {
  std::vector<BroadcastPtr> batch = {Message(R"({"a":1})", true, 1)};
  EXPECT_EQ(SseDataEvent(batch), "event: data\ndata:[{\"a\":1}]\n\n");
  std::vector<BroadcastPtr> pretty = {Message("{\r\n  \"a\": 1\n}", true, 1)};
  EXPECT_EQ(SseDataEvent(pretty), "event: data\ndata:[{\ndata:  \"a\": 1\ndata:}]\n\n");
  EXPECT_EQ(SseControlEvent("3::ep", "12", true),
            "event: control\ndata:{\"streamCursor\":\"12\",\"streamNextOffset\":\"3::ep\","
            "\"upToDate\":true}\n\n");
  EXPECT_EQ(SseControlEvent("3::ep", "", false),
            "event: control\ndata:{\"streamNextOffset\":\"3::ep\"}\n\n");
}

}  // namespace
}  // namespace cable::server::ds
