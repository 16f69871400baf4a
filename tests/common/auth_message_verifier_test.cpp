#include <gtest/gtest.h>

#include "common/auth/base64.h"
#include "common/auth/hex.h"
#include "common/auth/hmac.h"
#include "common/auth/message_verifier.h"

namespace cable::auth {
namespace {

const std::string kSecret = "s3Krit";

std::string SignRaw(const std::string& data, const std::string& secret = kSecret) {
  return data + "--" + HexEncode(Hmac(HashAlgorithm::kSha256, secret, data));
}

// Expected strings are what Ruby's `JSON.dump(str)` prints (json gem,
// default generator state).
TEST(RubyJsonString, EscapesLikeRuby) {
  EXPECT_EQ(RubyJsonString("chat/42"), R"("chat/42")");  // no \/
  EXPECT_EQ(RubyJsonString("a\"quote"), R"("a\"quote")");
  EXPECT_EQ(RubyJsonString("back\\slash"), R"("back\\slash")");
  EXPECT_EQ(RubyJsonString("комната/1"), "\"комната/1\"");  // raw UTF-8
  EXPECT_EQ(RubyJsonString("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(RubyJsonString(std::string("\x00\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
  EXPECT_EQ(RubyJsonString("\x7f"), "\"\x7f\"");                  // DEL passes through
  EXPECT_EQ(RubyJsonString("<a>&b"), R"("<a>&b")");               // no HTML escaping
  EXPECT_EQ(RubyJsonString("\u2028\u2029"), "\"\u2028\u2029\"");  // not script_safe
  EXPECT_EQ(RubyJsonString("😀"), "\"😀\"");
  EXPECT_EQ(RubyJsonString(""), R"("")");
}

TEST(RubyJsonString, RejectsInvalidUtf8) {
  EXPECT_FALSE(RubyJsonString("\xff"));
  EXPECT_FALSE(RubyJsonString("\xc3"));          // truncated sequence
  EXPECT_FALSE(RubyJsonString("\xed\xa0\x80"));  // UTF-16 surrogate
  EXPECT_FALSE(RubyJsonString("\xc0\xaf"));      // overlong '/'
}

TEST(MessageVerifier, SpecExample) {
  auto s = SignStream("chat/2023", kSecret);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s,
            "ImNoYXQvMjAyMyI=--2b2e054b6413bf3bc7e8bbad2f68962aa2ba19821800ccbd8de6fd7314e8320c");
}

TEST(MessageVerifier, RoundTripsAwkwardNames) {
  for (std::string name :
       std::vector<std::string>{"", "a--b", "--", "x\ny", "tab\there", "😀/🚀", "a\\b\"c",
                                "gid://app/User/1:comments", std::string(10000, 'x')}) {
    auto s = SignStream(name, kSecret);
    ASSERT_TRUE(s.ok()) << name;
    auto v = VerifyStream(*s, kSecret);
    ASSERT_TRUE(v.ok()) << name << ": " << v.error().message;
    EXPECT_EQ(*v, name);
  }
}

TEST(MessageVerifier, SignFailsOnlyForInvalidUtf8OrEmptySecret) {
  auto bad = SignStream("\xff", kSecret);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, kInvalidName);
  auto empty = SignStream("chat", "");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, kEmptySecret);
}

TEST(MessageVerifier, WrongSecretOrTamperingIsSignatureMismatch) {
  auto s = SignStream("chat/2023", kSecret);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(VerifyStream(*s, "other").error().code, kSignatureMismatch);
  for (size_t i = 0; i < s->size(); ++i) {
    if ((*s)[i] == '-' || (*s)[i] == '=') continue;
    std::string t = *s;
    t[i] = t[i] == 'a' ? 'b' : 'a';
    auto r = VerifyStream(t, kSecret);
    ASSERT_FALSE(r.ok()) << "position " << i;
    EXPECT_EQ(r.error().code, kSignatureMismatch) << "position " << i;
  }
}

TEST(MessageVerifier, DigestMustBeLowercaseHex) {
  auto s = SignStream("chat/2023", kSecret);
  ASSERT_TRUE(s.ok());
  std::string upper = *s;
  for (size_t i = upper.find("--") + 2; i < upper.size(); ++i) upper[i] = std::toupper(upper[i]);
  EXPECT_EQ(VerifyStream(upper, kSecret).error().code, kSignatureMismatch);
}

TEST(MessageVerifier, MalformedValuesAreInvalidFormat) {
  auto s = SignStream("chat/2023", kSecret);
  ASSERT_TRUE(s.ok());
  std::string data = s->substr(0, s->find("--"));
  std::string digest = s->substr(s->find("--") + 2);
  for (std::string bad : {std::string(""), std::string("chat/2023"), std::string("--"),
                          "--" + digest, data + "--", data + "--" + digest + "--",
                          data + "--" + digest + "--" + digest, std::string("a--b--c")}) {
    auto r = VerifyStream(bad, kSecret);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, kInvalidFormat) << bad;
  }
  auto huge = VerifyStream(std::string(kMaxSignedStreamSize + 1, 'A') + "--" + digest, kSecret);
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().code, kInvalidFormat);
}

TEST(MessageVerifier, CorrectlySignedButBadPayloadIsInvalidPayload) {
  struct Case {
    std::string data;
    std::string why;
  };
  const Case cases[] = {
      {"not base64!", "base64"},      {Base64Encode("chat"), "JSON"},
      {Base64Encode("42"), "number"}, {Base64Encode(R"({"stream":"x"})"), "object"},
      {Base64Encode("null"), "null"}, {Base64Encode("\"unterminated"), "JSON"},
  };
  for (const auto& c : cases) {
    auto r = VerifyStream(SignRaw(c.data), kSecret);
    ASSERT_FALSE(r.ok()) << c.data;
    EXPECT_EQ(r.error().code, kInvalidPayload) << c.data;
    EXPECT_NE(r.error().message.find(c.why), std::string::npos) << r.error().message;
  }
  // Unpadded base64 is not what Rails' strict_decode64 accepts.
  auto unpadded = VerifyStream(SignRaw("ImNoYXQvMjAyMyI"), kSecret);
  ASSERT_FALSE(unpadded.ok());
  EXPECT_EQ(unpadded.error().code, kInvalidPayload);
}

TEST(MessageVerifier, JsonWithSurroundingWhitespaceOrEscapesDecodes) {
  // Other signers (e.g. Go's json.Marshal) escape differently; any JSON
  // string must verify to the same name.
  auto r = VerifyStream(SignRaw(Base64Encode(R"( "chat\/1\u0041\u003c" )")), kSecret);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, "chat/1A<");
}

TEST(MessageVerifier, EmptySecretVerifiesNothing) {
  auto r = VerifyStream(SignRaw(Base64Encode("\"x\""), ""), "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kEmptySecret);
}

}  // namespace
}  // namespace cable::auth
