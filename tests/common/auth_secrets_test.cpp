#include <gtest/gtest.h>

#include "common/auth/derived_key.h"
#include "common/auth/secrets.h"

namespace cable::auth {
namespace {

SecretSettings Settings(std::string secret = "", std::string jwt_secret = "",
                        std::string streams_secret = "", std::string turbo_streams_secret = "") {
  SecretSettings settings;
  settings.secret = std::move(secret);
  settings.jwt_secret = std::move(jwt_secret);
  settings.streams_secret = std::move(streams_secret);
  settings.turbo_streams_secret = std::move(turbo_streams_secret);
  return settings;
}

TEST(Secrets, JwtSecretFallsBackToTheCommonSecretDirectly) {
  EXPECT_EQ(ResolveJwtSecret(Settings()), "");
  EXPECT_EQ(ResolveJwtSecret(Settings("common")), "common");
  EXPECT_EQ(ResolveJwtSecret(Settings("common", "jwt")), "jwt");
  EXPECT_EQ(ResolveJwtSecret(Settings("", "jwt")), "jwt");
  EXPECT_EQ(ResolveJwtSecret(Settings("common", "", "streams")), "common");
}

TEST(Secrets, JwtNoneDisablesJwtEvenWithACommonSecret) {
  EXPECT_EQ(ResolveJwtSecret(Settings("common", "none")), "");
}

TEST(Secrets, StreamsSecretFallsBackToTheCommonSecret) {
  EXPECT_EQ(ResolveStreamsSecret(Settings()), "");
  EXPECT_EQ(ResolveStreamsSecret(Settings("common")), "common");
  EXPECT_EQ(ResolveStreamsSecret(Settings("common", "", "streams")), "streams");
  EXPECT_EQ(ResolveStreamsSecret(Settings("common", "jwt")), "common");
}

TEST(Secrets, TurboSecretFallsBackToTheStreamsSecret) {
  EXPECT_EQ(ResolveTurboStreamsSecret(Settings()), "");
  EXPECT_EQ(ResolveTurboStreamsSecret(Settings("common")), "common");
  EXPECT_EQ(ResolveTurboStreamsSecret(Settings("common", "", "streams")), "streams");
  EXPECT_EQ(ResolveTurboStreamsSecret(Settings("common", "", "streams", "t")), "t");
  EXPECT_EQ(ResolveTurboStreamsSecret(Settings("", "", "", "t")), "t");
}

TEST(Secrets, BroadcastKeyIsExplicitElseDerivedFromTheSecret) {
  SecretSettings settings;
  EXPECT_EQ(ResolveBroadcastKey(settings), "") << "nothing set: no key";
  settings.secret = "qwerty";
  EXPECT_EQ(ResolveBroadcastKey(settings), DeriveKey("qwerty", kBroadcastKeyPhrase));
  settings.broadcast_key = "explicit";
  EXPECT_EQ(ResolveBroadcastKey(settings), "explicit");
  settings.broadcast_key = "none";
  EXPECT_EQ(ResolveBroadcastKey(settings), "") << "\"none\" disables it despite the secret";
}

TEST(DerivedKey, IsHexHmacSha256OfThePhrase) {
  // The spec's examples for secret "qwerty" (openssl dgst -sha256 -hmac).
  EXPECT_EQ(DeriveKey("qwerty", kBroadcastKeyPhrase),
            "42923a28b760e667fc92f7c6123bb07a282822b329dd2ef48e7aee7830d98485");
  EXPECT_EQ(DeriveKey("qwerty", kRpcKeyPhrase),
            "57c40610d142fe7d7999be4e23dfba4f42c3c542e1f278063e8e3b6a30b0c2bd");
  EXPECT_EQ(DeriveKey("qwerty", kApiKeyPhrase),
            "bdd0244b3664404d03b7d0c2f1b946dc4fc6c13fdcbfa2be62a4a28deb04d096");
}

}  // namespace
}  // namespace cable::auth
