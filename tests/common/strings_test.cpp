// The small string helpers every area shares (common/strings.h) and the
// error predicates of common/result.h.

#include "common/strings.h"

#include <gtest/gtest.h>

#include "common/result.h"

namespace cable {
namespace {

TEST(Strings, TrimRemovesWhitespaceOrTheGivenCharacters) {
  EXPECT_EQ(Trim("  a b \t\r\n"), "a b");
  EXPECT_EQ(Trim(" \t "), "");
  EXPECT_EQ(Trim(""), "");
  EXPECT_EQ(Trim("\r a \r", " \t"), "\r a \r");
}

TEST(Strings, LowerChangesAsciiLettersOnly) {
  EXPECT_EQ(Lower("Sec-WebSocket-KEY"), "sec-websocket-key");
  EXPECT_EQ(Lower("\xC3\x89t\xC3\xA9"), "\xC3\x89t\xC3\xA9");
}

TEST(Strings, SplitListTrimsAndDropsEmptyItems) {
  EXPECT_EQ(SplitList(" a, b,,c ,"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(SplitList("x y|z", '|'), (std::vector<std::string>{"x y", "z"}));
}

TEST(Strings, Utf8PrefixNeverCutsThroughASequence) {
  EXPECT_EQ(Utf8Prefix("abc", 10), "abc");
  EXPECT_EQ(Utf8Prefix("abcdef", 3), "abc");
  // "é" is C3 A9: a cut after C3 steps back before it.
  EXPECT_EQ(Utf8Prefix("ab\xC3\xA9", 3), "ab");
  EXPECT_EQ(Utf8Prefix("ab\xC3\xA9", 4), "ab\xC3\xA9");
  // "😀" is F0 9F 98 80: every cut inside it keeps only what precedes it.
  for (size_t cut = 1; cut < 4; ++cut) EXPECT_EQ(Utf8Prefix("\xF0\x9F\x98\x80x", cut), "");
  EXPECT_EQ(Utf8Prefix("\xF0\x9F\x98\x80x", 4), "\xF0\x9F\x98\x80");
}

TEST(Strings, EditDistanceCountsSingleCharacterEdits) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("receive", "recieve"), 2u);
  EXPECT_EQ(EditDistance("stream_from", "strem_from"), 1u);
  EXPECT_EQ(EditDistance("abc", ""), 3u);
}

TEST(Strings, HexDigitValue) {
  EXPECT_EQ(HexDigitValue('0'), 0);
  EXPECT_EQ(HexDigitValue('9'), 9);
  EXPECT_EQ(HexDigitValue('a'), 10);
  EXPECT_EQ(HexDigitValue('F'), 15);
  EXPECT_EQ(HexDigitValue('g'), -1);
  EXPECT_EQ(HexDigitValue('%'), -1);
}

TEST(Strings, PercentDecodeLenientKeepsBadEscapes) {
  EXPECT_EQ(*PercentDecode("a%20b+c", PlusSign::kSpace, BadEscape::kKeep), "a b c");
  EXPECT_EQ(*PercentDecode("a%20b+c", PlusSign::kLiteral, BadEscape::kKeep), "a b+c");
  EXPECT_EQ(*PercentDecode("100%", PlusSign::kSpace, BadEscape::kKeep), "100%");
  EXPECT_EQ(*PercentDecode("%zz%4", PlusSign::kSpace, BadEscape::kKeep), "%zz%4");
  EXPECT_EQ(*PercentDecode("%e2%9C%93", PlusSign::kSpace, BadEscape::kKeep), "\xE2\x9C\x93");
}

TEST(Strings, PercentDecodeStrictRefusesBadEscapes) {
  EXPECT_EQ(*PercentDecode("p%40ss+", PlusSign::kLiteral, BadEscape::kReject), "p@ss+");
  EXPECT_FALSE(PercentDecode("p%4", PlusSign::kLiteral, BadEscape::kReject));
  EXPECT_FALSE(PercentDecode("p%zz", PlusSign::kLiteral, BadEscape::kReject));
}

TEST(Strings, PercentEncodeKeepsUnreservedCharacters) {
  EXPECT_EQ(PercentEncode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(PercentEncode("a b/c?d=\xFF"), "a%20b%2Fc%3Fd%3D%FF");
  const std::string all = "x y+z%/\xC3\xA9";
  EXPECT_EQ(*PercentDecode(PercentEncode(all), PlusSign::kSpace, BadEscape::kReject), all);
}

TEST(ErrorCodes, PredicatesMatchTheirCodes) {
  EXPECT_TRUE((Error{codes::kTimeout, ""}).IsTimeout());
  EXPECT_FALSE((Error{codes::kClosed, ""}).IsTimeout());
  EXPECT_TRUE((Error{codes::kClosed, ""}).IsClosed());
  EXPECT_FALSE((Error{codes::kCloseFrame, ""}).IsClosed());
  EXPECT_TRUE((Error{"usage", ""}).IsUsage()) << "codes keep their wire spelling";
}

TEST(ErrorCodes, HttpStatusRoundTrips) {
  EXPECT_EQ(HttpStatusCode(404), "http_404");
  EXPECT_EQ((Error{HttpStatusCode(401), ""}).HttpStatus(), 401);
  EXPECT_EQ((Error{"http_", ""}).HttpStatus(), 0);
  EXPECT_EQ((Error{"http_4041", ""}).HttpStatus(), 0);
  EXPECT_EQ((Error{"http_4x", ""}).HttpStatus(), 0);
  EXPECT_EQ((Error{codes::kTimeout, ""}).HttpStatus(), 0);
}

}  // namespace
}  // namespace cable
