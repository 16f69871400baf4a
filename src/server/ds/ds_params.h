#pragma once
// What a Durable Streams read request asks for (spec §11.3), taken from its
// URL and headers as anycable-go reads them. Pure, so every rule is
// testable without a socket.
//
// `GET <ds_path>/<stream>?offset=..&live=long-poll|sse&cursor=..&signed=..`
// - the stream is the rest of the path, percent-decoded;
// - offsets are opaque to clients: `<offset>::<epoch>` as this server
//   hands them out, `-1` (or `0`, or none for a catch-up read) for the start
//   of the kept history, `now` for the tail;
// - live modes need an offset;
// - the signed stream name comes from `signed`, else the `X-Signed` header.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace cable::server::ds {

// Messages one response carries at most (as anycable-go's soft cap); a
// client continues from the Stream-Next-Offset it got.
inline constexpr size_t kMaxMessages = 100;
// Longest stream name and offset accepted (the request head is bounded
// anyway; these keep what reaches the broker and the logs small).
inline constexpr size_t kMaxStreamBytes = 1024;
inline constexpr size_t kMaxOffsetBytes = 256;

inline constexpr std::string_view kStartOffset = "-1";
inline constexpr std::string_view kNowOffset = "now";

enum class LiveMode : uint8_t { kNone, kLongPoll, kSse };

struct DsParams {
  std::string stream;
  std::string signed_name;  // empty: a public stream is asked for
  std::string cursor;       // as the client echoed it
  LiveMode live = LiveMode::kNone;
  std::string raw_offset;  // as given (`-1` when a catch-up read gave none)
  uint64_t offset = 0;     // decoded from raw_offset; 0 for the reserved ones
  std::string epoch;       // empty for the reserved offsets (and `<n>` alone)

  bool from_start() const { return raw_offset == kStartOffset || raw_offset == "0"; }
  bool from_now() const { return raw_offset == kNowOffset; }
};

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// `stream_path`: the path after `<ds_path>/`, still percent-encoded.
// Errors (code "bad_request") are answered 400.
Result<DsParams> ParseDsParams(std::string_view stream_path, const QueryParams& query,
                               std::string_view signed_header);

// `<offset>::<epoch>`; "0" when there is no epoch (a stream with nothing
// stored), as anycable-go encodes it.
std::string EncodeOffset(uint64_t offset, std::string_view epoch);

// The reserved offsets (`""`, `0`, `-1`, `now`) decode to 0 and no epoch;
// otherwise the digits before `::` are the offset and what follows up to
// the next `::` the epoch. False when the offset is not a number.
bool DecodeOffset(std::string_view raw, uint64_t* offset, std::string* epoch);

// The Stream-Cursor for a response (DS protocol §8.1, as anycable-go
// computes it): 20-second intervals since 2024-10-09T00:00:00Z, moved past
// the client's cursor (with jitter) when the client is already there, so
// a CDN never serves the same empty answer in a loop.
std::string NextCursor(std::string_view client_cursor, std::chrono::system_clock::time_point now);

}  // namespace cable::server::ds
