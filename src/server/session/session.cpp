#include "server/session/session.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "common/ws/frame.h"
#include "server/node.h"
#include "server/protocol/messages.h"
#include "server/pusher/pusher_settings.h"
#include "server/session/session_internal.h"
#include "server/worker.h"

namespace cable::server {

namespace {
std::string StateToJson(const StateMap& state) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : state) j[k] = v;
  return j.dump();
}
}  // namespace

Session::Session(Node& node, Worker& worker, SessionInfo info, tls::SslPtr ssl)
    : node_(node),
      worker_(worker),
      fd_(info.fd),
      ssl_(std::move(ssl)),
      basics_{std::move(info.sid), info.ping_interval_ms,
              info.ping_precision, info.framing,
              info.deflate,        info.subprotocol == protocol::kExtendedSubprotocol},
      request_(std::make_unique<RequestDetails>(
          RequestDetails{std::move(info.url), std::move(info.headers), std::move(info.token),
                         std::move(info.restore_sid)})),
      connection_slot_(std::move(info.connection_slot)) {
  // Accepted non-blocking, with TCP_NODELAY inherited from the listener.
  node_.metrics().clients_num.fetch_add(1, std::memory_order_relaxed);
}

Session::~Session() {
  if (fd_ >= 0) ::close(fd_);
  node_.metrics().clients_num.fetch_sub(1, std::memory_order_relaxed);
  if (authenticated_) node_.metrics().uniq_identifiers.Remove(identifiers());
}

void Session::Start(std::string leftover, std::string handshake_response, bool watched) {
  assert(worker_.InThread() && "a session is touched only on its worker");
  if (!Attach(watched)) return;
  if (basics_.deflate) reader_.EnableDeflate();
  Send(FrameRef::Make(std::move(handshake_response)));
  Authenticate();
  // Frames that arrive before the welcome are queued as commands and run
  // once the connection is authenticated.
  if (!leftover.empty()) {
    reader_.Feed(leftover.data(), leftover.size(), node_.config().max_message_size, *this);
  }
  ArmRead();
}

bool Session::Attach(bool watched) {
  worker_.Register(shared_from_this());
  auto& poller = worker_.poller();
  if (fd_ < 0 || !(watched ? poller.Retarget(fd_, this) : poller.Add(fd_, this))) {
    log::Warn("Cannot watch the socket of sid={}: {}", basics_.sid, std::strerror(errno));
    Terminate();
    return false;
  }
  return true;
}

// ---------------------------------------------------------------- identity

RequestEnv Session::MakeEnv() const {
  RequestEnv env;
  if (request_) {
    env.url = request_->url;
    env.headers = request_->headers;
  }
  env.cstate = cstate();
  return env;
}

void Session::Authenticate() {
  if (restorable() && !request_->restore_sid.empty()) return TryRestore();
  AuthenticateAfresh();
}

void Session::AuthenticateAfresh() {
  // Pusher clients are identified by their socket id alone (anycable-go's
  // rule): their channels are authorized by signatures instead.
  if (basics_.framing == Framing::kPusher) {
    return Accept(pusher::ConnectionIdentifiers(basics_.sid), {protocol::Welcome(basics_.sid)});
  }
  IdentityResult identity = node_.identity().Identify(basics_.sid, request_->token);
  switch (identity.kind) {
    case IdentityResult::kAccepted:
      // Identified by the server itself: no RPC Connect, so no Disconnect
      // callback is owed either (disconnect_mode auto).
      Accept(std::move(identity.identifiers), {protocol::Welcome(basics_.sid)});
      return;
    case IdentityResult::kRejected:
      Inc(node_.metrics().failed_auths_total);
      log::Debug("Connection rejected sid={}: {}", basics_.sid, identity.log);
      Disconnect(identity.reason, false, ws::kCloseNormal, kAuthFailed);
      return;
    case IdentityResult::kError:
      log::Error("Authentication error sid={}: {}", basics_.sid, identity.log);
      Close(ws::kCloseInternalError, "Auth Error");
      return;
    case IdentityResult::kPassThrough:
      break;
  }
  ConnectRequest request;
  request.env = MakeEnv();
  request.cancel = cancel_flag();
  Inc(node_.metrics().connect_calls_total);
  auto self = shared_from_this();
  node_.controller().Connect(basics_.sid, std::move(request), [self](ConnectReply reply) {
    self->PostBack(
        [self, reply = std::move(reply)]() mutable { self->OnConnectReply(std::move(reply)); });
  });
}

void Session::OnConnectReply(ConnectReply reply) {
  if (state_ != State::kConnecting) return;
  switch (reply.status) {
    case RpcStatus::kSuccess:
      cstate_.Merge(reply.cstate);
      disconnect_interest_ = true;
      Accept(std::move(reply.identifiers), std::move(reply.transmissions));
      return;
    case RpcStatus::kFailure:
      Inc(node_.metrics().failed_auths_total);
      for (const auto& t : reply.transmissions) SendText(t);
      log::Debug("Connection rejected sid={}", basics_.sid);
      Close(ws::kCloseNormal, kAuthFailed);
      return;
    default:
      log::Error("Connect failed sid={}: {}", basics_.sid, reply.error);
      Close(ws::kCloseInternalError, "Auth Error");
      return;
  }
}

void Session::Accept(std::string identifiers, std::vector<std::string> transmissions) {
  if (authenticated_) node_.metrics().uniq_identifiers.Remove(*identifiers_);
  identifiers_ = &node_.metrics().uniq_identifiers.Add(std::move(identifiers));
  authenticated_ = true;
  state_ = State::kOpen;
  for (const auto& t : transmissions) SendText(t);
  // Pongs are part of the extended protocol only; plain Action Cable
  // clients never send them — but every WebSocket client answers native
  // pings, so with those on the timeout applies to all.
  // SSE clients never answer at all, and Pusher clients ping themselves.
  requires_pongs_ = node_.config().pong_timeout_s > 0 && basics_.framing == Framing::kWebSocket &&
                    (basics_.extended_protocol || node_.config().enable_native_pings);
  // Raw SSE carries no pings: nothing to schedule.
  if (basics_.framing != Framing::kSseFullRaw && basics_.framing != Framing::kSseMessageRaw) {
    worker_.SchedulePings(this, basics_.ping_interval_ms);
  }
  log::Debug("Connected sid={} identifiers={}", basics_.sid, *identifiers_);
  if (node_.config().norpc) {
    request_.reset();  // no call will need the request
  } else if (request_) {
    request_->token = {};
    request_->restore_sid = {};
  }
  CommitSnapshot();
  ProcessNextCommand();
}

// ------------------------------------------------------------------ closing

void Session::Disconnect(std::string_view reason, bool reconnect, uint16_t code,
                         std::string_view close_reason) {
  if (state_ == State::kClosing || state_ == State::kClosed) return;
  if (!reason.empty()) SendText(protocol::Disconnect(reason, reconnect));
  Close(code, close_reason);
}

void Session::Close(uint16_t code, std::string_view reason) {
  if (state_ == State::kClosing || state_ == State::kClosed) return;
  // An SSE response not yet answered ends as an HTTP error instead.
  if (output_held_) return RefuseSse(SseRefusalStatus(code, reason), reason);
  Send(FrameRef::Make(EncodeEnd(basics_.framing, code, reason)));
  state_ = State::kClosing;
  MarkDirty();
}

void Session::Terminate() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  terminated_.store(true, std::memory_order_release);
  auto self = shared_from_this();  // keep alive until the end of this call
  if (counted_as_sse_) {
    counted_as_sse_ = false;
    node_.metrics().sse_clients_num.fetch_sub(1, std::memory_order_relaxed);
  }
  subscriptions_.LeaveHub(hub_link());
  if (ssl_) {
    tls::ShutdownQuietly(ssl_.get());
    ssl_.reset();  // before the descriptor, whose number will be reused
  }
  if (fd_ >= 0) {
    ::close(fd_);  // also leaves the poller: no event for it is reported after
    fd_ = -1;
  }
  outbox_.Clear();
  reader_.Clear();

  CallDisconnect();
  FinishSnapshot();
  FinishPresence();
  subscriptions_.Clear();
  if (suppressed_warnings_ > 0) {
    log::Warn("Disconnected sid={}: {} more lines about its input were not logged", basics_.sid,
              suppressed_warnings_);
  }
  log::Debug("Disconnected sid={}", basics_.sid);
  worker_.Unregister(this);
}

// The application hears about the closed connection when it asked to (an
// RPC Connect or subscription made it interested) or always/never as
// --disconnect_mode says; calls are queued and rate-limited by the node.
void Session::CallDisconnect() {
  const auto mode = node_.config().disconnect_mode;
  const bool call = authenticated_ && mode != DisconnectMode::kNever &&
                    (mode == DisconnectMode::kAlways || disconnect_interest_);
  if (!call) return;
  DisconnectRequest request;
  request.identifiers = identifiers();
  request.env = MakeEnv();
  for (const auto& sub : subscriptions_.list()) {
    request.subscriptions.push_back(sub.identifier);
    request.env.istate[sub.identifier] = StateToJson(sub.State());
  }
  node_.disconnector().Enqueue(basics_.sid, std::move(request));
}

}  // namespace cable::server
