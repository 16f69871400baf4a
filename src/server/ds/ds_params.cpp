#include "server/ds/ds_params.h"

#include <charconv>

#include "common/strings.h"
#include "server/transport/request_info.h"

namespace cable::server::ds {

namespace {

constexpr std::string_view kSeparator = "::";
// 2024-10-09T00:00:00Z and the interval length, from the DS protocol.
constexpr int64_t kCursorEpochUnix = 1728432000;
constexpr int64_t kCursorIntervalS = 20;

Error BadRequest(std::string message) {
  return Error{"bad_request", std::move(message)};
}

bool ParseDecimal(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

Result<DsParams> ParseDsParams(std::string_view stream_path, const QueryParams& query,
                               std::string_view signed_header) {
  DsParams p;
  // A path is decoded as a path: '+' stays itself.
  p.stream = *PercentDecode(stream_path, PlusSign::kLiteral, BadEscape::kKeep);
  if (p.stream.empty()) return BadRequest("stream is missing in the URL");
  if (p.stream.size() > kMaxStreamBytes) {
    return BadRequest("stream name longer than " + std::to_string(kMaxStreamBytes) + " bytes");
  }

  const std::string live = QueryValue(query, "live");
  if (live == "long-poll") {
    p.live = LiveMode::kLongPoll;
  } else if (live == "sse") {
    p.live = LiveMode::kSse;
  } else if (!live.empty()) {
    return BadRequest("invalid live mode: use long-poll or sse");
  }

  p.raw_offset = QueryValue(query, "offset");
  if (p.raw_offset.empty()) {
    if (p.live != LiveMode::kNone) return BadRequest("offset is missing for live mode");
    p.raw_offset = std::string(kStartOffset);
  }
  if (p.raw_offset.size() > kMaxOffsetBytes) return BadRequest("offset too long");
  if (!DecodeOffset(p.raw_offset, &p.offset, &p.epoch)) {
    return BadRequest("malformed offset: use one this server returned, -1 or now");
  }

  p.cursor = QueryValue(query, "cursor");
  p.signed_name = QueryValue(query, "signed");
  if (p.signed_name.empty()) p.signed_name = std::string(signed_header);
  return p;
}

std::string EncodeOffset(uint64_t offset, std::string_view epoch) {
  if (epoch.empty()) return "0";
  std::string out = std::to_string(offset);
  out.append(kSeparator);
  out.append(epoch);
  return out;
}

bool DecodeOffset(std::string_view raw, uint64_t* offset, std::string* epoch) {
  *offset = 0;
  epoch->clear();
  if (raw.empty() || raw == "0" || raw == kStartOffset || raw == kNowOffset) return true;
  const size_t sep = raw.find(kSeparator);
  if (!ParseDecimal(raw.substr(0, sep), offset)) return false;
  if (sep != std::string_view::npos) {
    std::string_view rest = raw.substr(sep + kSeparator.size());
    *epoch = std::string(rest.substr(0, rest.find(kSeparator)));
  }
  return true;
}

std::string NextCursor(std::string_view client_cursor, std::chrono::system_clock::time_point now) {
  const int64_t unix_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  int64_t interval = (unix_ns / 1000000000 - kCursorEpochUnix) / kCursorIntervalS;
  int64_t client = 0;
  auto [end, ec] =
      std::from_chars(client_cursor.data(), client_cursor.data() + client_cursor.size(), client);
  if (!client_cursor.empty() && ec == std::errc() &&
      end == client_cursor.data() + client_cursor.size() && client >= interval &&
      client < INT64_MAX - 61) {
    interval = client + 1 + unix_ns % 60;
  }
  return std::to_string(interval);
}

}  // namespace cable::server::ds
