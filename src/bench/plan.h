#pragma once
// What every client of a run shares, computed once before the first
// connect: the resolved server address, per-stream identifiers and
// pre-encoded subscribe commands, and the upgrade request. Read-only while
// the loops run, so any thread may use it without locking.

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/options.h"
#include "common/result.h"

struct ssl_ctx_st;

namespace cable::bench {

struct StreamPlan {
  std::string name;                // what publishers broadcast to
  std::string identifier;          // channel identifier (JSON)
  std::string escaped_identifier;  // the identifier as JSON string contents
  std::string subscribe_command;   // {"command":"subscribe",...}
};

struct Plan {
  const BenchOptions* options = nullptr;
  boost::asio::ip::tcp::endpoint endpoint;
  std::vector<boost::asio::ip::address> local_addrs;
  std::vector<StreamPlan> streams;
  // Presence: the tag of this run's member ids (presence_wire.h).
  std::string presence_tag;
  // wss://: the one TLS context every client's session comes from.
  std::shared_ptr<ssl_ctx_st> tls;

  // Stream index of client `client` (clients are spread round-robin).
  int StreamOf(int client) const { return client % static_cast<int>(streams.size()); }
  // The HTTP upgrade request for client `client` (with its own JWT when
  // --jwt-secret is set, and ?sid= when it asks to restore a session).
  // Built at connect time, off the message path.
  std::string UpgradeRequest(int client, std::string_view restore_sid = {}) const;

  std::string request_target;   // path and query without the token
  std::string request_headers;  // everything after the request line
};

Result<Plan> MakePlan(const BenchOptions& options);

}  // namespace cable::bench
