// Every case in tests/vectors/auth.json, which were computed independently
// of this code (Python, Ruby's jwt gem, Rails' MessageVerifier).

#include "support/auth_vectors.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/auth/derived_key.h"
#include "common/auth/jwt.h"
#include "common/auth/message_verifier.h"
#include "support/process.h"

namespace cable::auth {
namespace {

// 2024-01-01T00:00:00Z: after the expired vector, before every exp in 2100.
constexpr int64_t kNow = 1704067200;

const nlohmann::json& Vectors() {
  return cable::testing::AuthVectors();
}

TEST(AuthVectors, FileHasEverySection) {
  for (const char* key : {"jwt", "signed_streams", "derived_keys", "rejections"}) {
    ASSERT_TRUE(Vectors().contains(key)) << key;
    EXPECT_FALSE(Vectors()[key].empty()) << key;
  }
  ASSERT_FALSE(Vectors()["rails_message_verifier"]["signed"].empty());
}

TEST(AuthVectors, JwtTokensVerifyToTheirIdentifiers) {
  for (const auto& v : Vectors()["jwt"]) {
    SCOPED_TRACE(v["note"].get<std::string>());
    auto result = jwt::Verify(v["token"].get<std::string>(), v["secret"].get<std::string>(), kNow);
    ASSERT_TRUE(result.ok()) << result.error().code << ": " << result.error().message;
    EXPECT_EQ(result->identifiers, v["identifiers"].get<std::string>());
    EXPECT_EQ(result->identifiers, v["payload"]["ext"].get<std::string>());
    if (v["payload"].contains("exp")) {
      EXPECT_EQ(result->exp, v["payload"]["exp"].get<int64_t>());
    } else {
      EXPECT_FALSE(result->exp.has_value());
    }
    EXPECT_EQ(jwt::AlgorithmName(result->algorithm), v["alg"].get<std::string>());
  }
}

// Tokens with the standard header are byte-identical when we mint them; the
// one minted by Ruby's jwt gem has a header without "typ", so only its
// verification is normative.
TEST(AuthVectors, JwtTokensWithStandardHeaderEncodeIdentically) {
  int compared = 0;
  for (const auto& v : Vectors()["jwt"]) {
    const std::string token = v["token"].get<std::string>();
    auto alg = jwt::ParseAlgorithm(v["alg"].get<std::string>());
    ASSERT_TRUE(alg);
    std::optional<int64_t> exp;
    if (v["payload"].contains("exp")) exp = v["payload"]["exp"].get<int64_t>();
    auto encoded = jwt::Encode(v["payload"]["ext"].get<std::string>(),
                               v["secret"].get<std::string>(), *alg, exp);
    ASSERT_TRUE(encoded.ok());
    std::string standard_header = token.substr(0, token.find('.'));
    if (standard_header != encoded->substr(0, encoded->find('.'))) continue;
    EXPECT_EQ(*encoded, token) << v["note"];
    ++compared;
  }
  EXPECT_GE(compared, 4);
}

TEST(AuthVectors, JwtRejectionsGiveTheirReason) {
  for (const auto& v : Vectors()["rejections"]) {
    SCOPED_TRACE(v["note"].get<std::string>());
    auto result = jwt::Verify(v["token"].get<std::string>(), v["secret"].get<std::string>(), kNow);
    ASSERT_FALSE(result.ok());
    std::string expect = v["expect"].get<std::string>();
    // The vectors name the server's outcome; "error_no_ext" is our kNoExt.
    if (expect == "error_no_ext") expect = std::string(jwt::kNoExt);
    EXPECT_EQ(result.error().code, expect) << result.error().message;
    EXPECT_FALSE(result.error().message.empty());
  }
}

TEST(AuthVectors, SignedStreamsMatchExactlyAndVerifyBack) {
  for (const auto& v : Vectors()["signed_streams"]) {
    const std::string stream = v["stream"].get<std::string>();
    const std::string secret = v["secret"].get<std::string>();
    SCOPED_TRACE(stream);
    auto signed_name = SignStream(stream, secret);
    ASSERT_TRUE(signed_name.ok()) << signed_name.error().message;
    EXPECT_EQ(*signed_name, v["signed"].get<std::string>());
    auto verified = VerifyStream(v["signed"].get<std::string>(), secret);
    ASSERT_TRUE(verified.ok()) << verified.error().message;
    EXPECT_EQ(*verified, stream);
  }
}

TEST(AuthVectors, RailsMessageVerifierOutputVerifies) {
  const auto& section = Vectors()["rails_message_verifier"];
  const std::string secret = section["secret"].get<std::string>();
  for (const auto& v : section["signed"]) {
    const std::string stream = v["stream"].get<std::string>();
    SCOPED_TRACE(stream);
    auto verified = VerifyStream(v["signed"].get<std::string>(), secret);
    ASSERT_TRUE(verified.ok()) << verified.error().message;
    EXPECT_EQ(*verified, stream);
    // And we sign exactly as Rails does.
    auto signed_name = SignStream(stream, secret);
    ASSERT_TRUE(signed_name.ok());
    EXPECT_EQ(*signed_name, v["signed"].get<std::string>());
  }
}

TEST(AuthVectors, DerivedKeysMatch) {
  for (const auto& v : Vectors()["derived_keys"]) {
    SCOPED_TRACE(v["setting"].get<std::string>());
    EXPECT_EQ(DeriveKey(v["secret"].get<std::string>(), v["phrase"].get<std::string>()),
              v["key"].get<std::string>());
  }
}

TEST(AuthVectors, PhraseConstantsAreTheOnesInTheVectors) {
  std::map<std::string, std::string_view> by_setting = {{"broadcast_key", kBroadcastKeyPhrase},
                                                        {"http_rpc_secret", kRpcKeyPhrase},
                                                        {"api_secret", kApiKeyPhrase}};
  for (const auto& v : Vectors()["derived_keys"]) {
    auto it = by_setting.find(v["setting"].get<std::string>());
    ASSERT_NE(it, by_setting.end()) << v["setting"];
    EXPECT_EQ(it->second, v["phrase"].get<std::string>());
  }
}

}  // namespace
}  // namespace cable::auth
