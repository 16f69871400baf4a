#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "common/auth/base64.h"
#include "common/auth/constant_time.h"
#include "common/auth/hex.h"
#include "common/auth/hmac.h"

namespace cable::auth {
namespace {

TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string, std::string> cases[] = {{"", ""},
                                                       {"f", "Zg=="},
                                                       {"fo", "Zm8="},
                                                       {"foo", "Zm9v"},
                                                       {"foob", "Zm9vYg=="},
                                                       {"fooba", "Zm9vYmE="},
                                                       {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded), plain);
    std::string unpadded = encoded.substr(0, encoded.find('='));
    EXPECT_EQ(Base64UrlEncode(plain), unpadded);
    EXPECT_EQ(Base64UrlDecode(unpadded), plain);
  }
}

TEST(Base64, AlphabetsDiffer) {
  const std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(Base64Encode(bytes), "+/+/");
  EXPECT_EQ(Base64UrlEncode(bytes), "-_-_");
  EXPECT_FALSE(Base64Decode("-_-_"));
  EXPECT_FALSE(Base64UrlDecode("+/+/"));
}

TEST(Base64, StandardDecoderIsStrict) {
  EXPECT_FALSE(Base64Decode("Zg"));        // padding required
  EXPECT_FALSE(Base64Decode("Zg="));       // wrong length
  EXPECT_FALSE(Base64Decode("Z==="));      // three pads
  EXPECT_FALSE(Base64Decode("Zg==Zg=="));  // padding in the middle
  EXPECT_FALSE(Base64Decode("Zh=="));      // non-zero unused bits
  EXPECT_FALSE(Base64Decode("Zm9v\n"));    // whitespace
  EXPECT_FALSE(Base64Decode("Zm 9"));
  EXPECT_FALSE(Base64Decode(std::string("Zm9\0", 4)));
  EXPECT_FALSE(Base64Decode("===="));
}

TEST(Base64, UrlDecoderIsStrict) {
  EXPECT_FALSE(Base64UrlDecode("Zg=="));  // no padding in this dialect
  EXPECT_FALSE(Base64UrlDecode("Z"));     // 6 bits is not a byte
  EXPECT_FALSE(Base64UrlDecode("Zh"));    // non-zero unused bits
  EXPECT_FALSE(Base64UrlDecode("Zm9vY"));
  EXPECT_FALSE(Base64UrlDecode("Zm9v."));
}

TEST(Base64, RandomBytesRoundTrip) {
  std::mt19937 rng(42);
  for (size_t len = 0; len < 200; ++len) {
    std::string bytes(len, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    EXPECT_EQ(Base64Decode(Base64Encode(bytes)), bytes);
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(bytes)), bytes);
  }
}

TEST(Hex, EncodesLowercaseAndDecodesEitherCase) {
  EXPECT_EQ(HexEncode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(HexDecode("0001abff"), std::string("\x00\x01\xab\xff", 4));
  EXPECT_EQ(HexDecode("ABFF"), std::string("\xab\xff", 2));
  EXPECT_EQ(HexDecode(""), std::string());
  EXPECT_FALSE(HexDecode("abc"));
  EXPECT_FALSE(HexDecode("zz"));
}

// RFC 4231 test case 2 ("Jefe").
TEST(Hmac, Rfc4231Vectors) {
  const std::string key = "Jefe";
  const std::string data = "what do ya want for nothing?";
  EXPECT_EQ(HexEncode(Hmac(HashAlgorithm::kSha256, key, data)),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HexEncode(Hmac(HashAlgorithm::kSha384, key, data)),
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
            "8e2240ca5e69e2c78b3239ecfab21649");
  EXPECT_EQ(HexEncode(Hmac(HashAlgorithm::kSha512, key, data)),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
            "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
}

TEST(Hmac, KeysTakenInTurnsKeepTheirOwnMacs) {
  // More keys than each thread keeps keyed contexts for, alternated, on
  // two threads: every MAC must still be its key's (RFC 4231 case 2 and
  // the empty key's, from openssl dgst).
  const auto check = [] {
    for (int round = 0; round < 3; ++round) {
      for (int i = 0; i < 6; ++i) {
        EXPECT_EQ(HexEncode(Hmac(HashAlgorithm::kSha256, "other-" + std::to_string(i), "x")).size(),
                  64u);
        EXPECT_EQ(HexEncode(Hmac(HashAlgorithm::kSha256, "Jefe", "what do ya want for nothing?")),
                  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        EXPECT_EQ(HexEncode(Hmac(HashAlgorithm::kSha256, "", "")),
                  "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
      }
    }
  };
  std::thread other(check);
  check();
  other.join();
  EXPECT_NE(Hmac(HashAlgorithm::kSha256, "a", "m"), Hmac(HashAlgorithm::kSha256, "b", "m"));
  EXPECT_NE(Hmac(HashAlgorithm::kSha256, "a", "m"), Hmac(HashAlgorithm::kSha384, "a", "m"));
}

TEST(Hmac, DigestSizes) {
  EXPECT_EQ(DigestSize(HashAlgorithm::kSha256), 32u);
  EXPECT_EQ(DigestSize(HashAlgorithm::kSha384), 48u);
  EXPECT_EQ(DigestSize(HashAlgorithm::kSha512), 64u);
  EXPECT_EQ(Hmac(HashAlgorithm::kSha384, "k", "m").size(), 48u);
}

TEST(Hmac, EmptyKeyIsTheEmptyKey) {
  // openssl dgst -sha256 -hmac '' <<< '' (empty message, empty key)
  EXPECT_EQ(HexEncode(Hmac(HashAlgorithm::kSha256, "", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(ConstantTimeEquals, ComparesBytes) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_TRUE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

}  // namespace
}  // namespace cable::auth
