#include "common/auth/message_verifier.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/auth/base64.h"
#include "common/auth/constant_time.h"
#include "common/auth/hex.h"
#include "common/auth/hmac.h"
#include "common/json_depth.h"

namespace cable::auth {
namespace {

constexpr std::string_view kSeparator = "--";

std::string Digest(std::string_view secret, std::string_view data) {
  return HexEncode(Hmac(HashAlgorithm::kSha256, secret, data));
}

Error Fail(std::string_view code, std::string message) {
  return Error{std::string(code), std::move(message)};
}

}  // namespace

std::optional<std::string> RubyJsonString(std::string_view name) {
  // nlohmann's dump with ensure_ascii=false escapes exactly the set Ruby's
  // generator escapes by default (quote, backslash, 0x00-0x1f with the same
  // short forms and lowercase \u00xx) and leaves '/', DEL and non-ASCII
  // alone; the tests pin this against Ruby's output.
  try {
    return nlohmann::json(std::string(name)).dump();
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

Result<std::string> SignStream(std::string_view name, std::string_view secret) {
  if (secret.empty()) return Fail(kEmptySecret, "cannot sign with an empty secret");
  auto json = RubyJsonString(name);
  if (!json) return Fail(kInvalidName, "stream name is not valid UTF-8");
  std::string encoded = Base64Encode(*json);
  std::string digest = Digest(secret, encoded);
  return encoded + std::string(kSeparator) + digest;
}

Result<std::string> VerifyStream(std::string_view signed_name, std::string_view secret) {
  if (secret.empty()) return Fail(kEmptySecret, "no secret to verify the signed name with");
  if (signed_name.size() > kMaxSignedStreamSize) {
    return Fail(kInvalidFormat, fmt::format("signed name is {} bytes long; the limit is {}",
                                            signed_name.size(), kMaxSignedStreamSize));
  }
  size_t sep = signed_name.find(kSeparator);
  // Neither base64 nor hex contains '-', so a well-formed value has exactly
  // one separator and both sides non-empty.
  if (sep == std::string_view::npos || sep == 0 || sep + kSeparator.size() == signed_name.size() ||
      signed_name.find(kSeparator, sep + kSeparator.size()) != std::string_view::npos) {
    return Fail(kInvalidFormat, "signed name is not <base64 data>--<hex digest>");
  }
  std::string_view data = signed_name.substr(0, sep);
  std::string_view digest = signed_name.substr(sep + kSeparator.size());
  if (!ConstantTimeEquals(digest, Digest(secret, data))) {
    return Fail(kSignatureMismatch, "signature does not match the secret");
  }
  auto json = Base64Decode(data);
  if (!json) return Fail(kInvalidPayload, "signed data is not padded standard base64");
  if (!JsonDepthWithin(*json)) return Fail(kInvalidPayload, "signed data nests too deep");
  nlohmann::json value = nlohmann::json::parse(*json, nullptr, false);
  if (value.is_discarded()) return Fail(kInvalidPayload, "signed data is not JSON");
  if (!value.is_string()) {
    return Fail(kInvalidPayload,
                fmt::format("signed data is JSON {}, not a string", value.type_name()));
  }
  return value.get<std::string>();
}

}  // namespace cable::auth
