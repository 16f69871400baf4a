#include "server/pusher/signatures.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>

#include "common/auth/constant_time.h"
#include "common/auth/hex.h"
#include "common/auth/hmac.h"
#include "common/strings.h"

namespace cable::server::pusher {

namespace {

Error Unauthorized(std::string message) {
  return Error{"unauthorized", std::move(message)};
}

std::string_view Param(const Query& query, std::string_view name) {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return {};
}

std::string Md5Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_md5(), nullptr);
  return auth::HexEncode(std::string_view(reinterpret_cast<const char*>(digest), size));
}

}  // namespace

std::string Sign(std::string_view secret, std::string_view text) {
  return auth::HexEncode(auth::Hmac(auth::HashAlgorithm::kSha256, secret, text));
}

bool ChannelAuthValid(std::string_view app_key, std::string_view secret, std::string_view socket_id,
                      std::string_view channel, std::string_view channel_data,
                      std::string_view auth) {
  std::string text;
  text.reserve(socket_id.size() + channel.size() + channel_data.size() + 2);
  text.append(socket_id).append(":").append(channel);
  if (!channel_data.empty()) text.append(":").append(channel_data);
  std::string expected(app_key);
  expected += ':';
  expected += Sign(secret, text);
  return auth::ConstantTimeEquals(expected, auth);
}

std::string RequestSigningText(std::string_view method, std::string_view path, const Query& query) {
  std::vector<std::pair<std::string, std::string_view>> params;
  params.reserve(query.size());
  for (const auto& [k, v] : query) {
    std::string key = Lower(k);
    if (key == "auth_signature") continue;
    params.emplace_back(std::move(key), v);
  }
  std::sort(params.begin(), params.end());
  std::string text(method);
  text += '\n';
  text.append(path);
  text += '\n';
  for (size_t i = 0; i < params.size(); ++i) {
    if (i > 0) text += '&';
    text += params[i].first;
    text += '=';
    text.append(params[i].second);
  }
  return text;
}

Status CheckRequestSignature(std::string_view secret, std::string_view method,
                             std::string_view path, const Query& query, int64_t now_s) {
  const std::string_view stamp = Param(query, "auth_timestamp");
  int64_t ts = 0;
  auto [end, ec] = std::from_chars(stamp.data(), stamp.data() + stamp.size(), ts);
  if (stamp.empty() || ec != std::errc() || end != stamp.data() + stamp.size()) {
    return Unauthorized("auth_timestamp is missing or not a number");
  }
  const int64_t delta = now_s - ts;
  if (delta > kAuthTimestampGraceS || delta < -kAuthTimestampGraceS) {
    return Unauthorized("auth_timestamp is more than 600 seconds away from the server's clock");
  }
  const std::string expected = Sign(secret, RequestSigningText(method, path, query));
  if (!auth::ConstantTimeEquals(expected, Param(query, "auth_signature"))) {
    return Unauthorized("auth_signature does not match");
  }
  return Status::Ok();
}

bool BodyMd5Valid(const Query& query, std::string_view body) {
  return auth::ConstantTimeEquals(Md5Hex(body), Param(query, "body_md5"));
}

}  // namespace cable::server::pusher
