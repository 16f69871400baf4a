#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/auth/base64.h"
#include "common/auth/hmac.h"
#include "common/auth/jwt.h"

namespace cable::auth::jwt {
namespace {

constexpr int64_t kNow = 1'800'000'000;
const std::string kSecret = "s3cret";
const std::string kIdentifiers = R"({"user_id":42})";

// Builds a token from raw header and payload text, signed with `secret`
// under `hash`, so tests can forge anything a hostile client could send.
std::string Forge(const std::string& header, const std::string& payload,
                  const std::string& secret = kSecret,
                  HashAlgorithm hash = HashAlgorithm::kSha256) {
  std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  return input + "." + Base64UrlEncode(Hmac(hash, secret, input));
}

const std::string kHs256Header = R"({"alg":"HS256","typ":"JWT"})";

std::string Code(const Result<VerifiedToken>& r) {
  return r.ok() ? "ok" : r.error().code;
}

TEST(Jwt, RoundTripsWithEveryAlgorithm) {
  for (Algorithm alg : {Algorithm::kHS256, Algorithm::kHS384, Algorithm::kHS512}) {
    SCOPED_TRACE(std::string(AlgorithmName(alg)));
    auto token = Encode(kIdentifiers, kSecret, alg, kNow + 60);
    ASSERT_TRUE(token.ok());
    auto verified = Verify(*token, kSecret, kNow);
    ASSERT_TRUE(verified.ok()) << verified.error().message;
    EXPECT_EQ(verified->identifiers, kIdentifiers);
    EXPECT_EQ(verified->exp, kNow + 60);
    EXPECT_EQ(verified->algorithm, alg);
  }
}

TEST(Jwt, HeaderIsCompactAndNamesTheAlgorithm) {
  auto token = Encode(kIdentifiers, kSecret, Algorithm::kHS384, std::nullopt);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(Base64UrlDecode(token->substr(0, token->find('.'))), R"({"alg":"HS384","typ":"JWT"})");
  size_t a = token->find('.') + 1;
  EXPECT_EQ(Base64UrlDecode(token->substr(a, token->rfind('.') - a)),
            R"({"ext":"{\"user_id\":42}"})");
}

TEST(Jwt, PayloadPutsExtBeforeExp) {
  auto token = Encode(kIdentifiers, kSecret, Algorithm::kHS256, 4102444800);
  ASSERT_TRUE(token.ok());
  size_t a = token->find('.') + 1;
  EXPECT_EQ(Base64UrlDecode(token->substr(a, token->rfind('.') - a)),
            R"({"ext":"{\"user_id\":42}","exp":4102444800})");
}

TEST(Jwt, NoExpNeverExpires) {
  auto token = Encode(kIdentifiers, kSecret, Algorithm::kHS256, std::nullopt);
  ASSERT_TRUE(token.ok());
  auto verified = Verify(*token, kSecret, INT64_MAX / 2);
  ASSERT_TRUE(verified.ok());
  EXPECT_FALSE(verified->exp.has_value());
}

TEST(Jwt, ExpiresExactlyAtExpWithoutLeeway) {
  auto token = Encode(kIdentifiers, kSecret, Algorithm::kHS256, kNow);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(Code(Verify(*token, kSecret, kNow - 1)), "ok");
  auto at = Verify(*token, kSecret, kNow);
  EXPECT_EQ(Code(at), kTokenExpired);
  EXPECT_NE(at.error().message.find("2027-01-15T08:00:00Z"), std::string::npos)
      << at.error().message;
  EXPECT_EQ(Code(Verify(*token, kSecret, kNow + 1)), kTokenExpired);
}

TEST(Jwt, ExpOfZeroIsExpiredNotAbsent) {
  auto token = Forge(kHs256Header, R"({"ext":"{}","exp":0})");
  EXPECT_EQ(Code(Verify(token, kSecret, kNow)), kTokenExpired);
}

TEST(Jwt, FractionalExpIsHonoured) {
  auto token = Forge(kHs256Header, R"({"ext":"{}","exp":1800000000.5})");
  auto verified = Verify(token, kSecret, kNow);
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(verified->exp, kNow);
  EXPECT_EQ(Code(Verify(token, kSecret, kNow + 1)), kTokenExpired);
}

TEST(Jwt, NbfInTheFutureIsUnauthorized) {
  auto token = Forge(kHs256Header, R"({"ext":"{}","nbf":1800000010})");
  auto early = Verify(token, kSecret, kNow);
  EXPECT_EQ(Code(early), kUnauthorized);
  EXPECT_NE(early.error().message.find("not valid before"), std::string::npos);
  EXPECT_EQ(Code(Verify(token, kSecret, kNow + 10)), "ok");
}

TEST(Jwt, NonNumericTimeClaimsAreUnauthorized) {
  for (const char* payload : {R"({"ext":"{}","exp":"4102444800"})", R"({"ext":"{}","exp":null})",
                              R"({"ext":"{}","exp":true})", R"({"ext":"{}","nbf":[1]})"}) {
    EXPECT_EQ(Code(Verify(Forge(kHs256Header, payload), kSecret, kNow)), kUnauthorized) << payload;
  }
}

TEST(Jwt, ExpiryIsCheckedBeforeExt) {
  auto token = Forge(kHs256Header, R"({"exp":1000})");
  EXPECT_EQ(Code(Verify(token, kSecret, kNow)), kTokenExpired);
}

TEST(Jwt, MissingOrNonStringExtIsNoExt) {
  for (const char* payload : {R"({})", R"({"ext":{"user_id":42}})", R"({"ext":42})",
                              R"({"ext":null})", R"({"sub":"42"})"}) {
    auto result = Verify(Forge(kHs256Header, payload), kSecret, kNow);
    EXPECT_EQ(Code(result), kNoExt) << payload;
  }
}

TEST(Jwt, EmptyExtStringIsStillIdentifiers) {
  auto verified = Verify(Forge(kHs256Header, R"({"ext":""})"), kSecret, kNow);
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(verified->identifiers, "");
}

TEST(Jwt, AcceptsAnyHmacAlgorithmWhateverTheTyp) {
  auto token = Forge(R"({"alg":"HS512"})", R"({"ext":"{}"})", kSecret, HashAlgorithm::kSha512);
  EXPECT_EQ(Code(Verify(token, kSecret, kNow)), "ok");
  token = Forge(R"({"typ":"whatever","alg":"HS384","kid":"1"})", R"({"ext":"{}"})", kSecret,
                HashAlgorithm::kSha384);
  EXPECT_EQ(Code(Verify(token, kSecret, kNow)), "ok");
}

TEST(Jwt, HeaderAlgorithmMustMatchTheSignature) {
  // Signed with SHA-512 but claiming HS256: the lengths differ.
  auto token = Forge(kHs256Header, R"({"ext":"{}"})", kSecret, HashAlgorithm::kSha512);
  EXPECT_EQ(Code(Verify(token, kSecret, kNow)), kUnauthorized);
}

TEST(Jwt, RejectsAlgNoneAndNonHmacAlgorithms) {
  const std::string payload = Base64UrlEncode(R"({"ext":"{}"})");
  for (const char* header : {R"({"alg":"none"})", R"({"alg":"None"})", R"({"alg":"RS256"})",
                             R"({"alg":"ES256"})", R"({"alg":"hs256"})", R"({"alg":""})",
                             R"({"typ":"JWT"})", R"({"alg":256})", R"({"alg":["HS256"]})"}) {
    std::string unsigned_token = Base64UrlEncode(header) + "." + payload + ".";
    EXPECT_EQ(Code(Verify(unsigned_token, kSecret, kNow)), kUnauthorized) << header;
    // Even with an HMAC signature under the right secret.
    std::string signed_token = Forge(header, R"({"ext":"{}"})");
    EXPECT_EQ(Code(Verify(signed_token, kSecret, kNow)), kUnauthorized) << header;
  }
}

TEST(Jwt, RejectionMessagesQuoteOnlyShortPrintableAlgorithms) {
  auto none = Verify(Forge(R"({"alg":"none"})", R"({"ext":"{}"})"), kSecret, kNow);
  EXPECT_NE(none.error().message.find("\"none\""), std::string::npos) << none.error().message;
  auto hostile = Verify(Forge(R"({"alg":"x\nFAKE LOG LINE"})", R"({"ext":"{}"})"), kSecret, kNow);
  EXPECT_EQ(hostile.error().message.find("FAKE"), std::string::npos) << hostile.error().message;
  auto long_alg = Verify(Forge(R"({"alg":")" + std::string(100, 'A') + "\"}", R"({"ext":"{}"})"),
                         kSecret, kNow);
  EXPECT_EQ(long_alg.error().message.find("AAAA"), std::string::npos);
}

TEST(Jwt, RejectsTampering) {
  auto token = Encode(kIdentifiers, kSecret, Algorithm::kHS256, kNow + 60);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(Code(Verify(*token, "other", kNow)), kUnauthorized);
  // Flip one character in each segment in turn.
  for (size_t i = 0; i < token->size(); ++i) {
    if ((*token)[i] == '.') continue;
    std::string t = *token;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(Code(Verify(t, kSecret, kNow)), kUnauthorized) << "position " << i;
  }
  // A payload swapped in from another token keeps the first signature.
  auto other = Encode(R"({"user_id":1})", kSecret, Algorithm::kHS256, kNow + 60);
  ASSERT_TRUE(other.ok());
  size_t a = token->find('.'), b = token->rfind('.');
  size_t oa = other->find('.'), ob = other->rfind('.');
  std::string spliced = token->substr(0, a) + other->substr(oa, ob - oa) + token->substr(b);
  EXPECT_EQ(Code(Verify(spliced, kSecret, kNow)), kUnauthorized);
}

TEST(Jwt, RejectsMalformedStructure) {
  auto token = Encode(kIdentifiers, kSecret, Algorithm::kHS256, std::nullopt);
  ASSERT_TRUE(token.ok());
  const std::string bad[] = {
      "",
      ".",
      "..",
      "a.b",
      "a.b.c.d",
      *token + ".",
      "." + *token,
      *token + "=",   // padding is not part of JWT base64
      *token + "\n",  // trailing newline
      " " + *token,   // leading space
      Base64UrlEncode("not json") + "." + Base64UrlEncode(R"({"ext":"{}"})") + ".",
      Forge("[1,2]", R"({"ext":"{}"})"),                       // header not an object
      Forge(kHs256Header, "not json"),                         // payload not JSON
      Forge(kHs256Header, R"(["ext"])"),                       // payload not an object
      Forge(kHs256Header, "\"{\\\"ext\\\":1}\""),              // payload a string
      Forge(kHs256Header, std::string("{\"ext\":\"\xff\"}")),  // invalid UTF-8
  };
  for (const auto& t : bad) {
    auto result = Verify(t, kSecret, kNow);
    EXPECT_EQ(Code(result), kUnauthorized) << t;
    if (!result.ok()) {
      EXPECT_FALSE(result.error().message.empty());
    }
  }
}

TEST(Jwt, RejectsOversizedTokensBeforeDecoding) {
  std::string padding(kMaxTokenSize, 'A');
  auto token = Forge(kHs256Header, R"({"ext":"{}","pad":")" + padding + "\"}");
  ASSERT_GT(token.size(), kMaxTokenSize);
  auto result = Verify(token, kSecret, kNow);
  EXPECT_EQ(Code(result), kUnauthorized);
  EXPECT_NE(result.error().message.find("limit"), std::string::npos);
  EXPECT_EQ(Code(Verify(std::string(10 * 1024 * 1024, '.'), kSecret, kNow)), kUnauthorized);
  // Just under the limit is fine.
  std::string small_pad(kMaxTokenSize / 2, 'A');
  auto ok = Forge(kHs256Header, R"({"ext":"{}","pad":")" + small_pad + "\"}");
  ASSERT_LE(ok.size(), kMaxTokenSize);
  EXPECT_EQ(Code(Verify(ok, kSecret, kNow)), "ok");
}

TEST(Jwt, SurvivesDeeplyNestedJson) {
  std::string nested =
      R"({"ext":"{}","x":)" + std::string(5000, '[') + std::string(5000, ']') + "}";
  EXPECT_EQ(Code(Verify(Forge(kHs256Header, nested), kSecret, kNow)), "ok");
  std::string unbalanced = std::string(12000, '[');
  EXPECT_EQ(Code(Verify(Forge(unbalanced, "{}"), kSecret, kNow)), kUnauthorized);
}

TEST(Jwt, EmptySecretNeitherSignsNorVerifies) {
  EXPECT_FALSE(Encode(kIdentifiers, "", Algorithm::kHS256, std::nullopt).ok());
  auto token = Forge(kHs256Header, R"({"ext":"{}"})", "");
  EXPECT_EQ(Code(Verify(token, "", kNow)), kUnauthorized);
}

TEST(Jwt, EncodeClaimsKeepsOrderAndRejectsNonObjects) {
  nlohmann::ordered_json claims;
  claims["sub"] = "x";
  claims["ext"] = "{}";
  claims["nbf"] = 5;
  auto token = EncodeClaims(claims, kSecret, Algorithm::kHS256);
  ASSERT_TRUE(token.ok());
  size_t a = token->find('.') + 1;
  EXPECT_EQ(Base64UrlDecode(token->substr(a, token->rfind('.') - a)),
            R"({"sub":"x","ext":"{}","nbf":5})");
  EXPECT_FALSE(EncodeClaims(nlohmann::ordered_json::array(), kSecret, Algorithm::kHS256).ok());
  EXPECT_FALSE(Encode("\xff", kSecret, Algorithm::kHS256, std::nullopt).ok());
}

TEST(Jwt, NonAsciiIdentifiersSurvive) {
  const std::string ids = R"({"name":"Фёдор","room":"a/b"})";
  auto token = Encode(ids, "s3cЯeT", Algorithm::kHS256, std::nullopt);
  ASSERT_TRUE(token.ok());
  auto verified = Verify(*token, "s3cЯeT", kNow);
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(verified->identifiers, ids);
}

TEST(Jwt, AlgorithmNames) {
  EXPECT_EQ(ParseAlgorithm("HS256"), Algorithm::kHS256);
  EXPECT_EQ(ParseAlgorithm("HS384"), Algorithm::kHS384);
  EXPECT_EQ(ParseAlgorithm("HS512"), Algorithm::kHS512);
  EXPECT_FALSE(ParseAlgorithm("hs256"));
  EXPECT_FALSE(ParseAlgorithm("none"));
}

}  // namespace
}  // namespace cable::auth::jwt
