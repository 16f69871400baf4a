// Identity::Identify, the server's own decision about a connection before
// any RPC: JWTs from tests/vectors/auth.json accepted with their
// identifiers or rejected with the disconnect reason a client sees
// (token_expired, unauthorized) or as an internal error (no ext claim);
// which secret turns JWT on; pass-through to the controller; --enforce_jwt
// and --noauth, and how they combine with a token.

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "common/auth/jwt.h"
#include "server/config.h"
#include "server/identity/identity.h"
#include "support/auth_vectors.h"

namespace cable::server {
namespace {

using cable::testing::AuthVectors;

std::string Str(const nlohmann::json& value) {
  return value.get<std::string>();
}

ServerConfig WithJwtSecret(const std::string& secret) {
  ServerConfig config;
  config.jwt_secret = secret;
  return config;
}

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Token(const std::string& identifiers, const std::string& secret,
                  std::optional<int64_t> exp) {
  auto token = auth::jwt::Encode(identifiers, secret, auth::jwt::Algorithm::kHS256, exp);
  EXPECT_TRUE(token.ok());
  return token.ok() ? token.value() : std::string();
}

TEST(IdentityTest, AcceptsEveryVectorTokenWithItsIdentifiers) {
  for (const auto& v : AuthVectors()["jwt"]) {
    const Identity identity(WithJwtSecret(Str(v["secret"])));
    const auto result = identity.Identify("sid1", Str(v["token"]));
    EXPECT_EQ(result.kind, IdentityResult::kAccepted) << Str(v["note"]) << ": " << result.log;
    EXPECT_EQ(result.identifiers, Str(v["identifiers"])) << Str(v["note"]);
    EXPECT_EQ(result.reason, "") << Str(v["note"]);
  }
}

TEST(IdentityTest, RejectsVectorTokensWithTheReasonTheClientSees) {
  for (const auto& v : AuthVectors()["rejections"]) {
    const Identity identity(WithJwtSecret(Str(v["secret"])));
    const auto result = identity.Identify("sid1", Str(v["token"]));
    const std::string expect = Str(v["expect"]);
    SCOPED_TRACE(Str(v["note"]));
    EXPECT_EQ(result.identifiers, "");
    EXPECT_NE(result.log, "") << "the log says why";
    if (expect == "error_no_ext") {
      EXPECT_EQ(result.kind, IdentityResult::kError);
      EXPECT_EQ(result.reason, "") << "an auth error closes with 1011 and no disconnect message";
    } else {
      EXPECT_EQ(result.kind, IdentityResult::kRejected);
      EXPECT_EQ(result.reason, expect);
    }
  }
}

TEST(IdentityTest, ATokenIsExpiredFromItsExpSecondOn) {
  const Identity identity(WithJwtSecret("secret"));
  const auto live = identity.Identify("sid1", Token(R"({"id":1})", "secret", Now() + 3600));
  EXPECT_EQ(live.kind, IdentityResult::kAccepted) << live.log;
  EXPECT_EQ(live.identifiers, R"({"id":1})");

  const auto expired = identity.Identify("sid1", Token(R"({"id":1})", "secret", Now() - 1));
  EXPECT_EQ(expired.kind, IdentityResult::kRejected);
  EXPECT_EQ(expired.reason, "token_expired");
}

TEST(IdentityTest, TheJwtSecretFallsBackToTheCommonSecretUnlessItIsNone) {
  const auto& v = AuthVectors()["jwt"][0];
  ServerConfig config;
  config.secret = Str(v["secret"]);
  const Identity by_common(config);
  EXPECT_TRUE(by_common.jwt_enabled());
  EXPECT_EQ(by_common.Identify("sid1", Str(v["token"])).kind, IdentityResult::kAccepted);

  config.jwt_secret = "another";
  const Identity specific_wins(config);
  EXPECT_EQ(specific_wins.Identify("sid1", Str(v["token"])).reason, "unauthorized");

  config.jwt_secret = "none";
  const Identity disabled(config);
  EXPECT_FALSE(disabled.jwt_enabled());
  EXPECT_EQ(disabled.Identify("sid1", Str(v["token"])).kind, IdentityResult::kPassThrough);
}

TEST(IdentityTest, WithoutALocalDecisionTheControllerDecides) {
  const auto& v = AuthVectors()["jwt"][0];
  const Identity no_jwt{ServerConfig{}};
  EXPECT_FALSE(no_jwt.jwt_enabled());
  for (const std::string& token : {std::string(), Str(v["token"])}) {
    const auto result = no_jwt.Identify("sid1", token);
    EXPECT_EQ(result.kind, IdentityResult::kPassThrough) << "a token nobody can check";
    EXPECT_EQ(result.identifiers, "");
    EXPECT_EQ(result.reason, "");
  }

  const Identity optional_jwt(WithJwtSecret(Str(v["secret"])));
  EXPECT_EQ(optional_jwt.Identify("sid1", "").kind, IdentityResult::kPassThrough)
      << "no token and JWT not enforced";
}

TEST(IdentityTest, EnforcedJwtRejectsAConnectionWithoutAToken) {
  const auto& v = AuthVectors()["jwt"][0];
  ServerConfig config = WithJwtSecret(Str(v["secret"]));
  config.enforce_jwt = true;
  const Identity identity(config);
  const auto missing = identity.Identify("sid1", "");
  EXPECT_EQ(missing.kind, IdentityResult::kRejected);
  EXPECT_EQ(missing.reason, "unauthorized");
  EXPECT_NE(missing.log, "");
  EXPECT_EQ(identity.Identify("sid1", Str(v["token"])).kind, IdentityResult::kAccepted);

  ServerConfig no_secret;
  no_secret.enforce_jwt = true;
  EXPECT_EQ(Identity(no_secret).Identify("sid1", "").kind, IdentityResult::kPassThrough)
      << "there is no JWT to enforce without a secret";
}

TEST(IdentityTest, NoauthAcceptsWithTheSidAsIdentifiers) {
  ServerConfig config;
  config.noauth = true;
  const Identity identity(config);
  const auto result = identity.Identify("abc\"1", "");
  EXPECT_EQ(result.kind, IdentityResult::kAccepted);
  EXPECT_EQ(result.identifiers, R"({"sid":"abc\"1"})") << "the sid is a JSON string";
  EXPECT_EQ(result.reason, "");
}

TEST(IdentityTest, ATokenIsCheckedEvenUnderNoauth) {
  const auto& v = AuthVectors()["jwt"][0];
  ServerConfig config = WithJwtSecret(Str(v["secret"]));
  config.noauth = true;
  const Identity identity(config);
  EXPECT_EQ(identity.Identify("sid1", Str(v["token"])).identifiers, Str(v["identifiers"]));
  EXPECT_EQ(identity.Identify("sid1", "not-a-jwt").reason, "unauthorized");
  EXPECT_EQ(identity.Identify("sid1", "").identifiers, R"({"sid":"sid1"})")
      << "no token: noauth applies";

  config.enforce_jwt = true;
  EXPECT_EQ(Identity(config).Identify("sid1", "").kind, IdentityResult::kRejected)
      << "an enforced JWT beats noauth";
}

TEST(IdentityTest, JwtParamComesFromTheConfig) {
  ServerConfig config;
  EXPECT_EQ(Identity(config).jwt_param(), "jid");
  config.jwt_param = "token";
  EXPECT_EQ(Identity(config).jwt_param(), "token");
}

}  // namespace
}  // namespace cable::server
