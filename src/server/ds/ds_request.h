#pragma once
// One Durable Streams read request (spec §11.3), from its routed head to
// the end of its response, on the worker of the connection it came on.
//
// Nothing is done for a request before it is authorized: the parameters
// are checked (400), then the method (405), then the client is
// authenticated like a WebSocket client — JWT, the RPC Connect call,
// --noauth — unless --ds_skip_auth (401), then the stream itself must be
// a signed stream whose signature names it, or a public one with
// --public_streams (401). Only then is the broker asked.
//
// - catch-up (no `live`): up to 100 messages after the offset, one JSON
//   array;
// - `live=long-poll`: the same when there is something to return, else
//   the first new message, 204 after --ds_poll_interval, 410 when the
//   server shuts down;
// - `live=sse`: an event stream of the catch-up then every new message,
//   ended after --ds_sse_ttl or at shutdown.
//
// Live requests watch their stream on this worker (StreamWatchers) from
// before the history is read, and drop what the history already gave, so
// no message falls between the two. They hold the connection's --max-conn
// slot like any connection; a client that closes its connection while it
// waits ends the request.

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "server/broker/broker.h"
#include "server/controller/controller.h"
#include "server/ds/ds_params.h"
#include "server/hub/stream_watchers.h"

namespace cable::server {
class Node;
class Worker;
}  // namespace cable::server

namespace cable::server::ds {

// What the HTTP transport lends a request: its connection as a byte pipe.
struct DsConnection {
  // Writes `bytes` after what was written before; `done(ok)` runs on the
  // worker once written (false: the connection failed).
  std::function<void(std::string bytes, std::function<void(bool ok)> done)> write;
  // The response is complete: read the next request, or close.
  std::function<void(bool keep_alive)> finish;
  // Calls `gone` on the worker when the client closes the connection (a
  // client that sends more instead is not watched further).
  std::function<void(std::function<void()> gone)> watch_close;
};

enum class DsMethod : uint8_t { kGet, kHead, kOptions, kOther };

// What the transport read from the request head.
struct DsRequestInfo {
  DsMethod method = DsMethod::kOther;
  bool http11 = true;
  bool keep_alive = true;
  std::string stream_path;  // after `<ds_path>/`, still percent-encoded
  QueryParams query;
  std::string signed_header;  // X-Signed
  // Header lines (CRLF-terminated) every answer carries: the version and
  // CORS, as anycable-go writes them.
  std::string common_headers;
  // For authentication, as a WebSocket connection has them.
  std::string sid;
  std::string url;
  HeaderList headers;
  std::string token;
};

class DsRequest : public std::enable_shared_from_this<DsRequest>, private StreamWatcher {
 public:
  DsRequest(Node& node, Worker& worker, DsConnection connection, DsRequestInfo info);
  ~DsRequest();
  DsRequest(const DsRequest&) = delete;
  DsRequest& operator=(const DsRequest&) = delete;

  // Runs the request; keeps itself alive until the response is written.
  void Start();

 private:
  enum class Phase : uint8_t { kAuthenticating, kReading, kWaiting, kStreaming, kDone };

  void Authenticate();
  void OnConnectReply(ConnectReply reply);
  void Authorized();
  void Read();
  void FetchHistory(std::function<void(Result<std::vector<BroadcastPtr>>)> done);
  void FetchTail(std::function<void(Result<std::optional<StreamPosition>>)> done);
  void AnswerHead();
  void AnswerCatchUp(std::vector<BroadcastPtr> messages);
  void StartLongPoll(std::vector<BroadcastPtr> messages);
  void StartSse(std::vector<BroadcastPtr> messages);
  // Whether a live message is new to this client (positioned, after what
  // it was given).
  bool Fresh(const Broadcast& b) const;
  void AnswerMessage(const BroadcastPtr& message);

  // StreamWatcher
  void OnBroadcast(const BroadcastPtr& broadcast) override;
  void OnShutdown() override;
  void OnClientGone();
  void OnTimer();

  void Watch();
  void Unwatch();
  // A whole response, then Finish.
  void Respond(unsigned status, std::string headers, std::string body,
               std::string_view content_type = "text/plain; charset=utf-8");
  void Fail(unsigned status, std::string_view why);
  // SSE: queues one chunk of the event stream.
  void StreamChunk(std::string bytes);
  void EndStream();
  void WriteNext();
  void Finish(bool keep_alive);
  void ArmTimer(int seconds);
  // Stream-Cursor and the caching headers of a read.
  std::string ReadHeaders() const;

  Node& node_;
  Worker& worker_;
  DsConnection conn_;
  DsRequestInfo info_;
  DsParams params_;
  Phase phase_ = Phase::kAuthenticating;
  std::string identifiers_;
  std::string cursor_;
  // Where this client is: the last position it was given (or asked from).
  std::optional<StreamPosition> last_;
  bool watching_ = false;
  bool shutdown_ = false;
  // Live messages that came while the history was read.
  std::vector<BroadcastPtr> early_;
  // Gauges this request is counted in.
  bool in_poll_gauge_ = false;
  bool in_sse_gauge_ = false;
  // SSE output: chunks written one at a time, bounded.
  std::deque<std::string> out_;
  size_t out_bytes_ = 0;
  bool writing_ = false;
  bool ending_ = false;
  boost::asio::steady_timer timer_;
  std::shared_ptr<std::atomic<bool>> canceled_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace cable::server::ds
