#include "server/ds/ds_request.h"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <span>

#include "common/log.h"
#include "server/ds/ds_encoding.h"
#include "server/node.h"
#include "server/session/framing.h"
#include "server/worker.h"

namespace cable::server::ds {

namespace {

// Live messages kept while the history is read; past this an SSE stream
// ends after its catch-up and the client resumes from its last offset.
constexpr size_t kMaxEarlyMessages = 10 * kMaxMessages;
// SSE output queued for a client that does not read, when
// --ws_max_pending_size does not bound it.
constexpr size_t kDefaultMaxPending = size_t{16} << 20;
constexpr std::string_view kJson = "application/json";

std::string_view StatusText(unsigned status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 405:
      return "Method Not Allowed";
    case 410:
      return "Gone";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Internal Server Error";
  }
}

std::string PositionOffset(const Broadcast& b) {
  return EncodeOffset(b.offset, b.epoch);
}

}  // namespace

DsRequest::DsRequest(Node& node, Worker& worker, DsConnection connection, DsRequestInfo info)
    : node_(node),
      worker_(worker),
      conn_(std::move(connection)),
      info_(std::move(info)),
      timer_(worker.context()) {}

DsRequest::~DsRequest() {
  canceled_->store(true);
  Unwatch();
  if (in_poll_gauge_) node_.metrics().ds_poll_clients_num.fetch_sub(1, std::memory_order_relaxed);
  if (in_sse_gauge_) node_.metrics().ds_sse_clients_num.fetch_sub(1, std::memory_order_relaxed);
}

void DsRequest::Start() {
  // A preflight is answered before anything is checked, as anycable-go does.
  if (info_.method == DsMethod::kOptions) return Respond(200, "", "", "");
  auto params = ParseDsParams(info_.stream_path, info_.query, info_.signed_header);
  if (!params.ok()) {
    log::Debug("Durable Streams: bad request: {}", params.error().message);
    return Fail(400, params.error().message);
  }
  params_ = std::move(params.value());
  if (info_.method != DsMethod::kGet && info_.method != DsMethod::kHead) {
    return Respond(405, "Allow: GET, HEAD, OPTIONS\r\n", "Durable Streams are read-only\n");
  }
  // The event stream is a chunked body, which HTTP/1.0 does not have.
  if (params_.live == LiveMode::kSse && !info_.http11) return Fail(505, "HTTP/1.1 required");
  Authenticate();
}

// ---------------------------------------------------------------- auth

void DsRequest::Authenticate() {
  if (node_.config().ds_skip_auth) {
    identifiers_ = "ds::" + info_.sid;
    return Authorized();
  }
  IdentityResult identity = node_.identity().Identify(info_.sid, info_.token);
  switch (identity.kind) {
    case IdentityResult::kAccepted:
      identifiers_ = std::move(identity.identifiers);
      return Authorized();
    case IdentityResult::kRejected:
      Inc(node_.metrics().failed_auths_total);
      log::Debug("Durable Streams request rejected sid={}: {}", info_.sid, identity.log);
      return Fail(401, "unauthenticated");
    case IdentityResult::kError:
      log::Error("Durable Streams authentication error sid={}: {}", info_.sid, identity.log);
      return Fail(401, "unauthenticated");
    case IdentityResult::kPassThrough:
      break;
  }
  ConnectRequest request;
  request.env.url = info_.url;
  request.env.headers = info_.headers;
  request.cancel = canceled_;
  Inc(node_.metrics().connect_calls_total);
  node_.controller().Connect(
      info_.sid, std::move(request),
      [worker = &worker_, self = shared_from_this()](ConnectReply reply) mutable {
        boost::asio::post(worker->context(),
                          [self = std::move(self), reply = std::move(reply)]() mutable {
                            self->OnConnectReply(std::move(reply));
                          });
      });
}

void DsRequest::OnConnectReply(ConnectReply reply) {
  if (phase_ != Phase::kAuthenticating) return;
  switch (reply.status) {
    case RpcStatus::kSuccess:
      identifiers_ = std::move(reply.identifiers);
      return Authorized();
    case RpcStatus::kFailure:
      Inc(node_.metrics().failed_auths_total);
      log::Debug("Durable Streams request rejected sid={}", info_.sid);
      return Fail(401, "unauthenticated");
    default:
      log::Error("Durable Streams Connect failed sid={}: {}", info_.sid, reply.error);
      return Fail(401, "unauthenticated");
  }
}

// The stream is authorized as a `$pubsub` subscription to it would be; the
// name a signature carries must be the stream of the URL.
void DsRequest::Authorized() {
  nlohmann::json identifier = {{"channel", node_.config().pubsub_channel},
                               {"stream_name", params_.stream}};
  if (!params_.signed_name.empty()) identifier["signed_stream_name"] = params_.signed_name;
  auto sub = node_.local_channels().Subscribe(
      identifier.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (!sub || !sub->confirmed || sub->stream != params_.stream) {
    log::Debug("Durable Streams stream not authorized sid={} stream={}: {}", info_.sid,
               params_.stream, sub ? sub->log : "no $pubsub channel");
    return Fail(401, "unauthorized");
  }
  log::Debug("Durable Streams request sid={} identifiers={} stream={} offset={}", info_.sid,
             identifiers_, params_.stream, params_.raw_offset);
  phase_ = Phase::kReading;
  Read();
}

// ---------------------------------------------------------------- reads

void DsRequest::FetchHistory(std::function<void(Result<std::vector<BroadcastPtr>>)> done) {
  if (params_.from_now()) return done(std::vector<BroadcastPtr>());
  std::vector<StreamHistoryQuery> query(1);
  query[0].stream = params_.stream;
  if (!params_.from_start()) {
    if (params_.epoch.empty()) {
      return done(Error{"no_epoch", "the offset carries no epoch"});
    }
    query[0].from = StreamPosition{params_.offset, params_.epoch};
  }
  // Back on the worker; the broker's copy of the callback is left empty so
  // that the request is never released on the broker's thread.
  node_.broker()->History(
      std::move(query), [worker = &worker_, done = std::move(done)](
                            Result<std::vector<BroadcastPtr>> messages) mutable {
        boost::asio::post(worker->context(),
                          [done = std::move(done), messages = std::move(messages)]() mutable {
                            done(std::move(messages));
                          });
      });
}

void DsRequest::FetchTail(std::function<void(Result<std::optional<StreamPosition>>)> done) {
  node_.broker()->Tail(params_.stream, [worker = &worker_, done = std::move(done)](
                                           Result<std::optional<StreamPosition>> tail) mutable {
    boost::asio::post(
        worker->context(),
        [done = std::move(done), tail = std::move(tail)]() mutable { done(std::move(tail)); });
  });
}

void DsRequest::Read() {
  // anycable-go answers 500 when its broker keeps no history.
  if (node_.broker() == nullptr) return Fail(500, "Durable Streams need a broker");
  auto self = shared_from_this();
  if (info_.method == DsMethod::kHead) return AnswerHead();

  Inc(node_.metrics().ds_requests_total);
  cursor_ = NextCursor(params_.cursor, std::chrono::system_clock::now());
  if (params_.live != LiveMode::kNone) {
    if (node_.shutting_down()) return Fail(410, "the server is shutting down");
    Watch();
  }
  if (params_.live == LiveMode::kSse) {
    Inc(node_.metrics().ds_sse_requests_total);
    node_.metrics().ds_sse_clients_num.fetch_add(1, std::memory_order_relaxed);
    in_sse_gauge_ = true;
  }
  FetchHistory([self](Result<std::vector<BroadcastPtr>> messages) {
    if (self->phase_ != Phase::kReading) return;
    if (!messages.ok()) {
      // The offset is gone (evicted, another epoch, unknown) or the broker
      // is unavailable: the client must start over.
      log::Debug("Durable Streams history refused sid={} stream={}: {}", self->info_.sid,
                 self->params_.stream, messages.error().message);
      return self->Fail(410, messages.error().message);
    }
    if (!self->params_.epoch.empty()) {
      self->last_ = StreamPosition{self->params_.offset, self->params_.epoch};
    }
    switch (self->params_.live) {
      case LiveMode::kNone:
        return self->AnswerCatchUp(std::move(messages.value()));
      case LiveMode::kLongPoll:
        return self->StartLongPoll(std::move(messages.value()));
      case LiveMode::kSse:
        return self->StartSse(std::move(messages.value()));
    }
  });
}

std::string DsRequest::ReadHeaders() const {
  // What a CDN may cache: the same offset always reads the same messages.
  return "Cache-Control: public, max-age=60, stale-while-revalidate=300\r\n"
         "X-Content-Type-Options: nosniff\r\n"
         "Stream-Cursor: " +
         cursor_ + "\r\n";
}

void DsRequest::AnswerHead() {
  auto self = shared_from_this();
  FetchTail([self](Result<std::optional<StreamPosition>> tail) {
    if (!tail.ok()) return self->Fail(500, tail.error().message);
    const std::string next = tail.value() ? EncodeOffset((*tail)->offset, (*tail)->epoch) : "0";
    self->Respond(200, "Cache-Control: no-store\r\nStream-Next-Offset: " + next + "\r\n", "",
                  kJson);
  });
}

void DsRequest::AnswerCatchUp(std::vector<BroadcastPtr> messages) {
  const bool complete = messages.size() <= kMaxMessages;
  if (!complete) messages.resize(kMaxMessages);
  if (messages.empty()) {
    // Nothing after the offset: the next read starts at the tail.
    auto self = shared_from_this();
    return FetchTail([self](Result<std::optional<StreamPosition>> tail) {
      if (!tail.ok()) return self->Fail(500, tail.error().message);
      const std::string next = tail.value() ? EncodeOffset((*tail)->offset, (*tail)->epoch) : "0";
      self->Respond(
          200,
          self->ReadHeaders() + "Stream-Next-Offset: " + next + "\r\nStream-Up-To-Date: true\r\n",
          "[]", kJson);
    });
  }
  std::string headers = ReadHeaders() + "Stream-Next-Offset: " + PositionOffset(*messages.back()) +
                        "\r\n" + (complete ? "Stream-Up-To-Date: true\r\n" : "");
  Respond(200, std::move(headers), JsonBatch(messages), kJson);
}

// ---------------------------------------------------------------- live

bool DsRequest::Fresh(const Broadcast& b) const {
  // Transient broadcasts (whispers, presence) and fan-out ones have no
  // position: they are not part of the stream's history.
  if (b.offset == 0 || b.epoch.empty()) return false;
  return !(last_ && last_->epoch == b.epoch && b.offset <= last_->offset);
}

void DsRequest::StartLongPoll(std::vector<BroadcastPtr> messages) {
  if (!messages.empty()) return AnswerCatchUp(std::move(messages));
  for (const auto& b : early_) {
    if (Fresh(*b)) return AnswerMessage(b);
  }
  early_.clear();
  if (shutdown_) return Fail(410, "the server is shutting down");
  phase_ = Phase::kWaiting;
  Inc(node_.metrics().ds_poll_requests_total);
  node_.metrics().ds_poll_clients_num.fetch_add(1, std::memory_order_relaxed);
  in_poll_gauge_ = true;
  ArmTimer(node_.config().ds_poll_interval_s);
  std::weak_ptr<DsRequest> weak = shared_from_this();
  conn_.watch_close([weak] {
    if (auto self = weak.lock()) self->OnClientGone();
  });
}

void DsRequest::AnswerMessage(const BroadcastPtr& message) {
  std::string headers = ReadHeaders() + "Stream-Next-Offset: " + PositionOffset(*message) +
                        "\r\nStream-Up-To-Date: true\r\n";
  Respond(200, std::move(headers), JsonBatch(std::span(&message, 1)), kJson);
}

void DsRequest::StartSse(std::vector<BroadcastPtr> messages) {
  phase_ = Phase::kStreaming;
  StreamChunk(
      "HTTP/1.1 200 OK\r\n"
      "Server: cable\r\n" +
      info_.common_headers +
      "Content-Type: text/event-stream\r\n"
      "Cache-Control: private, no-cache, no-store, must-revalidate, max-age=0\r\n"
      "X-Content-Type-Options: nosniff\r\n"
      "X-Accel-Buffering: no\r\n"
      "Connection: keep-alive\r\n"
      "Transfer-Encoding: chunked\r\n\r\n");
  // The catch-up in batches of at most kMaxMessages, each followed by the
  // position it reaches; the last one says the client is up to date.
  std::span<const BroadcastPtr> rest(messages);
  while (!rest.empty()) {
    const auto batch = rest.first(std::min(rest.size(), kMaxMessages));
    rest = rest.subspan(batch.size());
    StreamChunk(SseChunk(SseDataEvent(batch) +
                         SseControlEvent(PositionOffset(*batch.back()), cursor_, rest.empty())));
  }
  if (!messages.empty()) {
    last_ = StreamPosition{messages.back()->offset, messages.back()->epoch};
  }
  const bool overflow = early_.size() >= kMaxEarlyMessages;
  std::vector<BroadcastPtr> early = std::move(early_);
  early_.clear();
  for (const auto& b : early) OnBroadcast(b);
  if (overflow || shutdown_) return EndStream();
  const int ttl = node_.config().ds_sse_ttl_s;
  ArmTimer(ttl > 0 ? ttl : 60);  // 0 means the default, as in anycable-go
  std::weak_ptr<DsRequest> weak = shared_from_this();
  conn_.watch_close([weak] {
    if (auto self = weak.lock()) self->OnClientGone();
  });
}

void DsRequest::OnBroadcast(const BroadcastPtr& broadcast) {
  switch (phase_) {
    case Phase::kReading:
      if (early_.size() < kMaxEarlyMessages) early_.push_back(broadcast);
      return;
    case Phase::kWaiting:
      if (Fresh(*broadcast)) AnswerMessage(broadcast);
      return;
    case Phase::kStreaming: {
      if (ending_ || !Fresh(*broadcast)) return;
      const std::string next = PositionOffset(*broadcast);
      last_ = StreamPosition{broadcast->offset, broadcast->epoch};
      StreamChunk(
          SseChunk(SseDataEvent(std::span(&broadcast, 1)) + SseControlEvent(next, cursor_, false)));
      return;
    }
    default:
      return;
  }
}

void DsRequest::OnShutdown() {
  shutdown_ = true;
  if (phase_ == Phase::kWaiting) return Fail(410, "the server is shutting down");
  if (phase_ == Phase::kStreaming && !ending_) EndStream();
}

void DsRequest::OnClientGone() {
  if (phase_ != Phase::kWaiting && phase_ != Phase::kStreaming) return;
  log::Debug("Durable Streams client gone sid={}", info_.sid);
  Finish(false);
}

void DsRequest::ArmTimer(int seconds) {
  timer_.expires_after(std::chrono::seconds(seconds));
  auto self = shared_from_this();
  timer_.async_wait([self](const boost::system::error_code& ec) {
    if (!ec) self->OnTimer();
  });
}

void DsRequest::OnTimer() {
  if (phase_ == Phase::kWaiting) {
    // Nothing new within the poll interval.
    return Respond(204, ReadHeaders(), "", kJson);
  }
  if (phase_ != Phase::kStreaming) return;
  if (!ending_) return EndStream();
  // The end of the stream could not be written in time: the client does
  // not read.
  Finish(false);
}

// ---------------------------------------------------------------- output

void DsRequest::Watch() {
  watching_ = true;
  if (worker_.watchers().Add(params_.stream, this)) node_.StreamActivated(params_.stream);
}

void DsRequest::Unwatch() {
  if (!watching_) return;
  watching_ = false;
  if (worker_.watchers().Remove(params_.stream, this)) node_.StreamDeactivated(params_.stream);
}

void DsRequest::Fail(unsigned status, std::string_view why) {
  Respond(status, "", std::string(why) + "\n");
}

void DsRequest::Respond(unsigned status, std::string headers, std::string body,
                        std::string_view content_type) {
  if (phase_ == Phase::kDone) return;
  phase_ = Phase::kDone;
  timer_.cancel();
  const bool keep_alive = info_.keep_alive && info_.http11;
  std::string out = fmt::format("HTTP/1.1 {} {}\r\nServer: cable\r\n", status, StatusText(status));
  out += info_.common_headers;
  if (!content_type.empty()) out += fmt::format("Content-Type: {}\r\n", content_type);
  out += headers;
  // RFC 9110 §8.6: no Content-Length on a 204.
  if (status != 204) out += fmt::format("Content-Length: {}\r\n", body.size());
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (info_.method != DsMethod::kHead) out += body;
  auto self = shared_from_this();
  conn_.write(std::move(out), [self, keep_alive](bool ok) { self->Finish(ok && keep_alive); });
}

void DsRequest::StreamChunk(std::string bytes) {
  const size_t limit = node_.config().ws_max_pending_size > 0 ? node_.config().ws_max_pending_size
                                                              : kDefaultMaxPending;
  if (out_bytes_ > 0 && out_bytes_ + bytes.size() > limit) {
    Inc(node_.metrics().disconnected_slow_clients_total);
    log::Debug("Durable Streams client too slow sid={}: {} bytes queued", info_.sid, out_bytes_);
    return Finish(false);
  }
  out_bytes_ += bytes.size();
  out_.push_back(std::move(bytes));
  WriteNext();
}

void DsRequest::EndStream() {
  ending_ = true;
  out_.emplace_back("0\r\n\r\n");  // the last chunk
  out_bytes_ += 5;
  WriteNext();
  // What is still queued gets a write timeout's time to go out.
  if (writing_) ArmTimer(std::max(1, node_.config().ws_write_timeout_s));
}

void DsRequest::WriteNext() {
  if (writing_ || phase_ == Phase::kDone) return;
  if (out_.empty()) {
    if (ending_) Finish(info_.keep_alive && info_.http11);
    return;
  }
  writing_ = true;
  std::string bytes = std::move(out_.front());
  out_.pop_front();
  const size_t size = bytes.size();
  auto self = shared_from_this();
  conn_.write(std::move(bytes), [self, size](bool ok) {
    self->writing_ = false;
    self->out_bytes_ -= size;
    if (!ok) return self->Finish(false);
    self->WriteNext();
  });
}

void DsRequest::Finish(bool keep_alive) {
  if (!conn_.finish) return;  // already finished
  phase_ = Phase::kDone;
  canceled_->store(true);
  timer_.cancel();
  Unwatch();
  if (in_poll_gauge_) node_.metrics().ds_poll_clients_num.fetch_sub(1, std::memory_order_relaxed);
  if (in_sse_gauge_) node_.metrics().ds_sse_clients_num.fetch_sub(1, std::memory_order_relaxed);
  in_poll_gauge_ = in_sse_gauge_ = false;
  out_.clear();
  auto finish = std::move(conn_.finish);
  conn_.finish = nullptr;
  finish(keep_alive);
}

}  // namespace cable::server::ds
