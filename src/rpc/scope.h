#pragma once
// What templates and conditions read: a fixed set of named roots
// (`query`, `headers`, `state`, ...) holding JSON values for one request.
//
// A Path such as `state.user.name` names a root and a walk into it. Which
// roots exist depends on the handler (a connection handler has no `params`),
// so paths are checked against a RootSet when definitions load, and the
// backend fills only the roots a handler actually reads.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpc/json.h"

namespace cable::rpc {

enum class Root : std::uint8_t {
  kUrl,          // full request URL
  kHost,         // host[:port] of the URL
  kPath,         // path of the URL
  kQuery,        // URL query parameters (object of strings; last value wins)
  kHeaders,      // forwarded headers, lowercase names
  kCookies,      // cookies from the `cookie` header
  kSid,          // session id from the gRPC `sid` metadata
  kIdentifiers,  // connection identifiers (object)
  kParams,       // channel params: the identifier's keys except `channel`
  kChannel,      // channel name
  kIdentifier,   // the identifier string as sent by the client
  kState,        // channel state (istate); connection state in connection handlers
  kCstate,       // connection state
  kData,         // action payload (object, includes `action`)
  kCount,
};

using RootSet = std::uint32_t;
inline constexpr RootSet Bit(Root r) {
  return RootSet{1} << static_cast<int>(r);
}
inline constexpr bool Has(RootSet set, Root r) {
  return (set & Bit(r)) != 0;
}

std::optional<Root> RootFromName(std::string_view name);
// "url, host, query, ..." for error messages.
std::string DescribeRoots(RootSet set);

struct Path {
  Root root = Root::kUrl;
  std::vector<std::string> segments;  // walk into the root value
  std::string text;                   // as written, for messages
};

// Parses `root.seg.seg`; `allowed` lists the roots usable where the path
// appears. Segments may contain any character except `.`, `{`, `}` and
// whitespace, so header (`x-api-token`) and cookie names work. Header names
// are lowercased. Errors are one sentence.
Result<Path> ParsePath(std::string_view text, RootSet allowed);

// Root values for one request. Not thread-safe; one per call.
class Scope {
 public:
  void Set(Root root, Json value) {
    roots_[Index(root)] = std::move(value);
    present_ |= Bit(root);
  }
  bool IsSet(Root root) const { return Has(present_, root); }
  // The value, or nullptr when the root was not filled.
  const Json* Get(Root root) const { return IsSet(root) ? &roots_[Index(root)] : nullptr; }
  Json& Mutable(Root root) { return roots_[Index(root)]; }
  // The value at `path`, or nullptr when any step is missing. Numeric
  // segments index arrays.
  const Json* Resolve(const Path& path) const;

 private:
  static std::size_t Index(Root r) { return static_cast<std::size_t>(r); }
  std::array<Json, static_cast<std::size_t>(Root::kCount)> roots_;
  RootSet present_ = 0;
};

}  // namespace cable::rpc
