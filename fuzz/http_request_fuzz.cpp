// Fuzzes the HTTP side of the server: Boost.Beast's request parser with the
// limits HttpConnection sets (16 KiB of header, the broadcast body limit),
// fed the way a socket delivers bytes, and what HttpConnection does with a
// parsed header: split the target (origin and absolute form), route it, read
// a broadcast body only for POST /_broadcast (after `Expect: 100-continue`
// when asked) and hand it to ParsePublication, or apply the helpers of
// request_info.h to an upgrade as HttpConnection::Upgrade does (path
// patterns, query parameters, origin check, cookie filter, subprotocols, the
// token subprotocol, Sec-WebSocket-Accept). These bytes come from anyone who
// can reach the port, before any authentication.
//
// Input: one control byte, then the bytes of one connection.
//   bits 0-2: read size (all at once, 1, 2, 3, 7, 64, 512 or 4096 bytes)
//   bits 3-4: body limit (10 MiB = the default, 0, 16, 1024)
// Requests on a kept-alive connection are parsed one after another, as the
// server does, until an upgrade hands the rest to the WebSocket session.

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/ws/frame.h"
#include "fuzz_check.h"
#include "server/broadcast/publication_parser.h"
#include "server/protocol/messages.h"
#include "server/transport/request_info.h"

namespace beast = boost::beast;
namespace http = beast::http;
namespace server = cable::server;
namespace protocol = cable::server::protocol;

namespace {

constexpr size_t kReadSizes[] = {0, 1, 2, 3, 7, 64, 512, 4096};
constexpr uint64_t kBodyLimits[] = {10 * 1024 * 1024, 0, 16, 1024};
// HttpConnection's header limit.
constexpr size_t kMaxHeaderBytes = 16 * 1024;
constexpr int kMaxRequestsPerConnection = 16;

using Parser = http::request_parser<http::string_body>;
using Request = http::request<http::string_body>;

std::string_view SV(beast::string_view s) {
  return {s.data(), s.size()};
}

// A configuration with every route and every option that changes the
// helpers' work.
const std::vector<std::string> kPaths = {"/cable", "/admin/*", "/accounts/{tenant}/cable"};
const std::vector<std::string> kAllowedOrigins = {"example.com", "*.example.org", "localhost:3000",
                                                  " Upper.Example.NET "};
const std::vector<std::string> kProxyCookies = {"_session_id", "token", ""};
constexpr std::string_view kHealthPath = "/health";
constexpr std::string_view kBroadcastPath = "/_broadcast";

bool Within(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void CheckUrlDecode(std::string_view s) {
  FUZZ_CHECK(server::UrlDecode(s).size() <= s.size(), "decoding made text longer");
}

// HttpConnection::Upgrade past the routing decision.
void Upgrade(const Request& req, const server::RequestTarget& target) {
  const std::string_view key = SV(req[http::field::sec_websocket_key]);
  if (req.method() != http::verb::get || !beast::websocket::is_upgrade(req) || key.empty()) return;
  const std::string_view origin = SV(req[http::field::origin]);
  FUZZ_CHECK(server::OriginAllowed(origin, {}), "an empty allow-list refused an origin");
  server::OriginAllowed(origin, kAllowedOrigins);

  auto query = server::ParseQuery(target.query);
  FUZZ_CHECK(query.size() <= target.query.size(), "more parameters than query bytes");
  for (const auto& [k, v] : query) {
    CheckUrlDecode(k);
    CheckUrlDecode(v);
  }
  if (auto pi = server::QueryValue(query, "pi"); !pi.empty()) {
    char* end = nullptr;
    (void)std::strtol(pi.c_str(), &end, 10);
  }
  server::QueryValue(query, "jid");

  const std::string_view cookie = SV(req[http::field::cookie]);
  FUZZ_CHECK(server::FilterCookies(cookie, {}) == cookie, "keeping all cookies changed them");
  server::FilterCookies(cookie, kProxyCookies);

  const std::string_view offered = SV(req[http::field::sec_websocket_protocol]);
  const std::string chosen = server::NegotiateSubprotocol(offered);
  FUZZ_CHECK(chosen.empty() || chosen == protocol::kJsonSubprotocol ||
                 chosen == protocol::kExtendedSubprotocol,
             "negotiated a subprotocol the server does not speak");
  const std::string token = server::TokenFromSubprotocols(offered);
  FUZZ_CHECK(token.empty() || offered.find(token) != std::string_view::npos,
             "token is not part of the offered subprotocols");
  FUZZ_CHECK(cable::ws::AcceptKey(key).size() == 28, "accept key is not 28 characters");
}

// One connection: a fresh parser per request, leftover bytes carried over,
// as HttpConnection does with its flat buffer.
class Connection {
 public:
  Connection(const uint8_t* data, size_t size, size_t read_size, uint64_t body_limit)
      : data_(data), size_(size), read_size_(read_size), body_limit_(body_limit) {}

  void Run() {
    for (int i = 0; i < kMaxRequestsPerConnection; ++i) {
      parser_.emplace();
      parser_->header_limit(kMaxHeaderBytes);
      parser_->body_limit(body_limit_);
      if (!Read([this] { return parser_->is_header_done(); })) return;
      if (!OnHeader()) return;
    }
  }

 private:
  // Feeds the parser until `done()`; false when the connection ends first
  // (a parse error, a limit, or the peer closing).
  template <typename Done>
  bool Read(Done done) {
    while (!done()) {
      if (!buffer_.empty()) {
        // Exactly the buffered bytes on the heap, so overreads are reported.
        const std::vector<char> bytes(buffer_.begin(), buffer_.end());
        beast::error_code ec;
        const size_t used = parser_->put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
        FUZZ_CHECK(used <= bytes.size(), "parser consumed more than it was given");
        buffer_.erase(0, used);
        if (ec && ec != http::error::need_more) return false;  // 400, 413 or 431, then close
        if (!ec && used > 0) continue;
      }
      if (offset_ >= size_) {
        if (!parser_->is_header_done()) return false;
        beast::error_code ec;
        parser_->put_eof(ec);
        return !ec && done();
      }
      const size_t n = std::min(read_size_, size_ - offset_);
      buffer_.append(reinterpret_cast<const char*>(data_ + offset_), n);
      offset_ += n;
    }
    return true;
  }

  bool HasBody() const { return parser_->chunked() || parser_->content_length().value_or(0) > 0; }

  // HttpConnection::OnHeader: true when the connection stays open for
  // another request.
  bool OnHeader() {
    const Request& req = parser_->get();
    const std::string_view raw = SV(req.target());
    const auto target = server::SplitTarget(raw);
    FUZZ_CHECK(!target.path.empty(), "SplitTarget gave an empty path");
    FUZZ_CHECK(Within(target.query, raw) && Within(target.authority, raw),
               "SplitTarget pointed outside the target");
    CheckUrlDecode(target.path);

    if (target.path == kBroadcastPath) return Broadcast();
    const bool keep_alive = req.keep_alive() && !HasBody();
    if (target.path == kHealthPath) return keep_alive;
    for (const auto& p : kPaths) {
      if (server::PathMatches(p, target.path)) {
        if (!HasBody()) Upgrade(req, target);
        return false;  // upgraded, or refused and closed
      }
    }
    // Patterns come from configuration; a badly configured one is a path.
    server::PathMatches(target.path, "/accounts/42/cable");
    return keep_alive;  // 404
  }

  // HttpConnection::AdmitBroadcast, ReadBody and HandleBroadcast.
  bool Broadcast() {
    const Request& header = parser_->get();
    const bool refused_keep_alive = header.keep_alive() && !HasBody();
    if (header.method() != http::verb::post) return refused_keep_alive;
    // `Expect: 100-continue` only changes when the client sends its body.
    (void)beast::iequals(header[http::field::expect], "100-continue");
    if (!Read([this] { return parser_->is_done(); })) return false;
    Request& req = parser_->get();
    const bool keep_alive = req.keep_alive();
    auto parsed = cable::server::ParsePublication(req.body());
    if (parsed.ok()) {
      FUZZ_CHECK(!parsed->broadcasts.empty() || !parsed->disconnects.empty(),
                 "an accepted body carries nothing");
    }
    return keep_alive;
  }

  const uint8_t* data_;
  size_t size_;
  size_t read_size_;
  uint64_t body_limit_;
  size_t offset_ = 0;
  std::string buffer_;
  std::optional<Parser> parser_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t control = data[0];
  const size_t read_size = kReadSizes[control & 7] == 0 ? size : kReadSizes[control & 7];
  Connection(data + 1, size - 1, read_size, kBodyLimits[(control >> 3) & 3]).Run();
  return 0;
}
