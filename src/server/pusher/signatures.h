#pragma once
// Pusher's HMAC-SHA256 signatures, checked in constant time.
//
// Channel authorization (private- and presence- channels): the client's
// `auth` is `<app key>:<hex HMAC of "<socket id>:<channel>">`, with
// `:<channel_data>` appended to the signed text for presence channels.
//
// REST requests: `auth_signature` is the hex HMAC of
// "<METHOD>\n<path>\n<query>", where <query> is every query parameter but
// auth_signature, keys lowercased and sorted, joined as k=v&k=v with the
// values decoded. For the four parameters Pusher's SDKs send (auth_key,
// auth_timestamp, auth_version, body_md5) that is exactly the text
// anycable-go signs; parameters beyond them are signed too, as Pusher's
// specification says. The body is covered through body_md5, so the
// signature can be checked before the body is read, and the body's MD5
// after.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace cable::server::pusher {

std::string Sign(std::string_view secret, std::string_view text);

// `auth` as a client sends it for `channel` (channel_data empty unless a
// presence channel).
bool ChannelAuthValid(std::string_view app_key, std::string_view secret, std::string_view socket_id,
                      std::string_view channel, std::string_view channel_data,
                      std::string_view auth);

// Seconds auth_timestamp may differ from the server's clock (Pusher's and
// anycable-go's grace period).
inline constexpr int64_t kAuthTimestampGraceS = 600;

using Query = std::vector<std::pair<std::string, std::string>>;

// The text a REST request's signature covers.
std::string RequestSigningText(std::string_view method, std::string_view path, const Query& query);

// Checks auth_timestamp (within the grace period of `now_s`) and
// auth_signature. The body (for POST) is checked separately with
// BodyMd5Valid once read. Error code "unauthorized" with the reason.
Status CheckRequestSignature(std::string_view secret, std::string_view method,
                             std::string_view path, const Query& query, int64_t now_s);

// The request's body_md5 against the body actually received.
bool BodyMd5Valid(const Query& query, std::string_view body);

}  // namespace cable::server::pusher
