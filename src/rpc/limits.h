#pragma once
// Bounds on every input the mock backend accepts. Definitions come from local
// files, requests from a real-time server that may relay hostile client data;
// both are capped so a bad input costs an error, never memory or a crash.

#include <cstddef>

namespace cable::rpc::limits {

// Definition files.
inline constexpr std::size_t kMaxFileBytes = 1 << 20;
inline constexpr std::size_t kMaxFiles = 64;
// YAML nodes visited while loading one file; aliases are shared by yaml-cpp
// but expanded by the loader, so this also stops "billion laughs" documents.
inline constexpr std::size_t kMaxYamlNodes = 200000;

// Requests. A WebSocket message is at most 64 KiB in anycable-go, so an
// identifier or action payload larger than these cannot come from a client.
inline constexpr std::size_t kMaxIdentifierBytes = 64 * 1024;
inline constexpr std::size_t kMaxDataBytes = 1 << 20;
inline constexpr std::size_t kMaxStateBytes = 1 << 20;  // one state value or one istate entry
inline constexpr std::size_t kMaxStateKeys = 1024;
inline constexpr std::size_t kMaxSubscriptions = 4096;  // per Disconnect call
inline constexpr std::size_t kMaxUrlBytes = 16 * 1024;
inline constexpr std::size_t kMaxHeaderBytes = 64 * 1024;  // one header value
// JSON nesting accepted from requests; deeper documents are refused before
// parsing because rendering them back (dump) recurses.
inline constexpr int kMaxJsonDepth = 64;
// gRPC message size cap (anycable-go's default receive limit).
inline constexpr int kMaxGrpcMessageBytes = 4 << 20;

}  // namespace cable::rpc::limits
