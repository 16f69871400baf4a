#include "server/session/session.h"

#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "server/node.h"
#include "server/protocol/messages.h"
#include "server/transport/ws_frame.h"
#include "server/worker.h"

namespace cable::server {

namespace {
// Commands waiting behind the one in flight before the session stops reading.
constexpr size_t kMaxPendingCommands = 64;
// Bytes read per readiness event before yielding to other sessions.
constexpr size_t kMaxReadPerTurn = 256 * 1024;
// Warnings logged per session about its input; later ones are counted.
constexpr uint8_t kMaxClientWarnings = 5;

std::string StateToJson(const StateMap& state) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : state) j[k] = v;
  return j.dump();
}
}  // namespace

Session::Session(Node& node, Worker& worker, boost::asio::ip::tcp::socket socket, SessionInfo info,
                 tls::SslPtr ssl)
    : node_(node),
      worker_(worker),
      socket_(std::move(socket)),
      ssl_(std::move(ssl)),
      info_(std::move(info)) {
  socket_.non_blocking(true);
  boost::system::error_code ec;
  socket_.set_option(boost::asio::ip::tcp::no_delay(true), ec);
  node_.metrics().clients_num.fetch_add(1, std::memory_order_relaxed);
}

Session::~Session() {
  node_.metrics().clients_num.fetch_sub(1, std::memory_order_relaxed);
}

// Warnings caused by what a client sends: the first few are logged, the
// rest counted and summed up when the session ends, so a client cannot turn
// its input into log volume (one line per ignored frame would let a few
// bytes of input write a whole line each).
template <typename... Args>
void Session::WarnAboutClient(fmt::format_string<Args...> format, Args&&... args) {
  if (client_warnings_ >= kMaxClientWarnings) {
    if (suppressed_warnings_ < UINT16_MAX) ++suppressed_warnings_;
    return;
  }
  ++client_warnings_;
  log::Warn(format, std::forward<Args>(args)...);
}

template <typename F>
void Session::PostBack(F&& f) {
  boost::asio::post(worker_.context(), std::forward<F>(f));
}

void Session::Start(std::string leftover, std::string handshake_response) {
  worker_.Register(shared_from_this());
  Send(FrameRef::Make(std::move(handshake_response)));
  if (!leftover.empty()) inbuf_ = std::move(leftover);
  Authenticate();
  // Frames that arrive before the welcome are queued as commands and run
  // once the connection is authenticated.
  if (!inbuf_.empty()) {
    std::string pending;
    pending.swap(inbuf_);
    ProcessInput(pending.data(), pending.size());
  }
  ArmRead();
}

// ---------------------------------------------------------------- identity

RequestEnv Session::MakeEnv(const StateMap* istate) const {
  RequestEnv env;
  env.url = info_.url;
  env.headers = info_.headers;
  env.cstate = cstate_;
  if (istate) env.istate = *istate;
  return env;
}

void Session::Authenticate() {
  IdentityResult identity = node_.identity().Identify(info_.sid, info_.token);
  switch (identity.kind) {
    case IdentityResult::kAccepted:
      // Identified by the server itself: no RPC Connect, so no Disconnect
      // callback is owed either (disconnect_mode auto).
      Accept(std::move(identity.identifiers), {protocol::Welcome(info_.sid)});
      return;
    case IdentityResult::kRejected:
      Inc(node_.metrics().failed_auths_total);
      log::Debug("Connection rejected sid={}: {}", info_.sid, identity.log);
      Disconnect(identity.reason, false, ws::kCloseNormal, "Auth Failed");
      return;
    case IdentityResult::kError:
      log::Error("Authentication error sid={}: {}", info_.sid, identity.log);
      Close(ws::kCloseInternalError, "Auth Error");
      return;
    case IdentityResult::kPassThrough:
      break;
  }
  ConnectRequest request;
  request.env = MakeEnv(nullptr);
  auto self = shared_from_this();
  node_.controller().Connect(info_.sid, std::move(request), [self](ConnectReply reply) {
    self->PostBack(
        [self, reply = std::move(reply)]() mutable { self->OnConnectReply(std::move(reply)); });
  });
}

void Session::OnConnectReply(ConnectReply reply) {
  if (state_ != State::kConnecting) return;
  switch (reply.status) {
    case RpcStatus::kSuccess:
      MergeState(cstate_, reply.cstate);
      disconnect_interest_ = true;
      Accept(std::move(reply.identifiers), std::move(reply.transmissions));
      return;
    case RpcStatus::kFailure:
      Inc(node_.metrics().failed_auths_total);
      for (const auto& t : reply.transmissions) SendText(t);
      log::Debug("Connection rejected sid={}", info_.sid);
      Close(ws::kCloseNormal, "Auth Failed");
      return;
    default:
      log::Error("Connect failed sid={}: {}", info_.sid, reply.error);
      Close(ws::kCloseInternalError, "Auth Error");
      return;
  }
}

void Session::Accept(std::string identifiers, std::vector<std::string> transmissions) {
  identifiers_ = std::move(identifiers);
  authenticated_ = true;
  state_ = State::kOpen;
  for (const auto& t : transmissions) SendText(t);
  // Pongs are part of the extended protocol only; plain Action Cable
  // clients never send them.
  requires_pongs_ =
      node_.config().pong_timeout_s > 0 && info_.subprotocol == protocol::kExtendedSubprotocol;
  worker_.SchedulePings(this, info_.ping_interval_ms);
  log::Debug("Connected sid={} identifiers={}", info_.sid, identifiers_);
  ProcessNextCommand();
}

// ------------------------------------------------------------------ reading

void Session::ArmRead() {
  if (read_armed_ || reading_paused_ || state_ == State::kClosed) return;
  read_armed_ = true;
  auto self = shared_from_this();
  auto wait = boost::asio::socket_base::wait_read;
  if (ssl_) {
    // Bytes OpenSSL already holds would never make the socket readable.
    if (tls::HasPending(ssl_.get())) {
      PostBack([self] {
        self->read_armed_ = false;
        self->OnReadable();
      });
      return;
    }
    if (tls_read_wants_write_) wait = boost::asio::socket_base::wait_write;
  }
  socket_.async_wait(wait, [self](const boost::system::error_code& ec) {
    self->read_armed_ = false;
    if (ec) {
      if (ec != boost::asio::error::operation_aborted) self->Terminate();
      return;
    }
    self->OnReadable();
  });
}

void Session::OnReadable() {
  if (state_ == State::kClosed) return;
  size_t total = 0;
  while (total < kMaxReadPerTurn && state_ != State::kClosed) {
    char* buf = worker_.scratch();
    ssize_t n = ssl_ ? TlsRecv(buf, worker_.scratch_size())
                     : ::recv(socket_.native_handle(), buf, worker_.scratch_size(), MSG_DONTWAIT);
    if (n > 0) {
      total += static_cast<size_t>(n);
      WorkerCounters::Add(worker_.counters().data_rcvd_total, static_cast<uint64_t>(n));
      if (inbuf_.empty()) {
        ProcessInput(buf, static_cast<size_t>(n));
      } else {
        inbuf_.append(buf, static_cast<size_t>(n));
        std::string pending;
        pending.swap(inbuf_);
        ProcessInput(pending.data(), pending.size());
      }
      // A short recv() drained the socket. SSL_read returns one record at
      // a time, so TLS reads on until OpenSSL wants the socket again.
      if (static_cast<size_t>(n) < worker_.scratch_size() && !ssl_) break;
      continue;
    }
    if (n == 0) {  // peer closed the TCP connection
      Terminate();
      return;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    if (errno == EINTR) continue;
    Terminate();
    return;
  }
  ArmRead();
}

// -1 with errno EAGAIN when OpenSSL waits for the socket, 0 when the
// connection ended, else the number of decrypted bytes.
ssize_t Session::TlsRecv(char* buf, size_t size) {
  size_t n = 0;
  tls_read_wants_write_ = false;
  switch (tls::Read(ssl_.get(), buf, size, &n)) {
    case tls::IoStatus::kOk:
      return static_cast<ssize_t>(n);
    case tls::IoStatus::kWantWrite:
      tls_read_wants_write_ = true;
      [[fallthrough]];
    case tls::IoStatus::kWantRead:
      errno = EAGAIN;
      return -1;
    case tls::IoStatus::kClosed:
      return 0;
    case tls::IoStatus::kFailed:
      break;
  }
  log::Debug("TLS read failed sid={}: {}", info_.sid, tls::ErrorText());
  return 0;
}

// As send(): -1 with errno EAGAIN when the write must wait, the bytes
// written otherwise. A blocked write is retried by Flush() with the same
// queue head, which is what OpenSSL requires.
ssize_t Session::TlsSend(const char* data, size_t len) {
  size_t n = 0;
  tls_write_wants_read_ = false;
  switch (tls::Write(ssl_.get(), data, len, &n)) {
    case tls::IoStatus::kOk:
      return static_cast<ssize_t>(n);
    case tls::IoStatus::kWantRead:
      tls_write_wants_read_ = true;
      [[fallthrough]];
    case tls::IoStatus::kWantWrite:
      errno = EAGAIN;
      return -1;
    case tls::IoStatus::kClosed:
      errno = EPIPE;
      return -1;
    case tls::IoStatus::kFailed:
      break;
  }
  log::Debug("TLS write failed sid={}: {}", info_.sid, tls::ErrorText());
  errno = ECONNRESET;
  return -1;
}

// Parses complete frames from data[0..len); keeps an incomplete tail.
void Session::ProcessInput(char* data, size_t len) {
  size_t pos = 0;
  while (pos < len && state_ != State::kClosed) {
    if (state_ == State::kClosing) return;  // nothing more is read after a close
    ws::FrameHeader header;
    uint16_t error_code = 0;
    auto status = ws::ParseHeader(std::string_view(data + pos, len - pos),
                                  node_.config().max_message_size, &header, &error_code);
    if (status == ws::ParseStatus::kError) {
      log::Debug("Protocol error sid={} code={}", info_.sid, error_code);
      Close(error_code, error_code == ws::kCloseTooBig ? "Message too big" : "Protocol error");
      return;
    }
    if (status == ws::ParseStatus::kIncomplete ||
        len - pos < header.header_len + header.payload_len) {
      inbuf_.assign(data + pos, len - pos);
      return;
    }
    char* payload = data + pos + header.header_len;
    const size_t plen = static_cast<size_t>(header.payload_len);
    ws::Unmask(payload, plen, header.mask);
    pos += header.header_len + plen;
    if (!HandleFrame(static_cast<uint8_t>(header.opcode), header.fin,
                     std::string_view(payload, plen))) {
      return;
    }
  }
  // Fully consumed: release any buffer that held a partial frame.
  if (inbuf_.capacity() > 0 && pos >= len) std::string().swap(inbuf_);
}

bool Session::HandleFrame(uint8_t opcode, bool fin, std::string_view payload) {
  // Any frame proves the client alive, as in anycable-go.
  if (requires_pongs_) worker_.PongSeen(this);
  switch (static_cast<ws::Opcode>(opcode)) {
    case ws::Opcode::kPing:
      Send(FrameRef::Make(ws::EncodeFrame(ws::Opcode::kPong, payload)));
      return true;
    case ws::Opcode::kPong:
      return true;
    case ws::Opcode::kClose: {
      if (uint16_t error = ws::CheckClosePayload(payload); error != 0) {
        log::Debug("Invalid close frame sid={} answered with {}", info_.sid, error);
        Close(error, error == ws::kCloseInvalidPayload ? "Invalid UTF-8" : "Protocol error");
        return false;
      }
      uint16_t code = ws::kCloseNormal;
      if (payload.size() >= 2) {
        code = static_cast<uint16_t>((uint8_t(payload[0]) << 8) | uint8_t(payload[1]));
      }
      log::Debug("Client closed sid={} code={}", info_.sid, code);
      Close(ws::kCloseNormal, "");
      return false;
    }
    case ws::Opcode::kText:
    case ws::Opcode::kBinary:
      if (fragment_opcode_ != 0) {
        Close(ws::kCloseProtocolError, "Expected continuation");
        return false;
      }
      if (!fin) {
        fragment_opcode_ = opcode;
        fragments_.assign(payload);
        return true;
      }
      if (static_cast<ws::Opcode>(opcode) == ws::Opcode::kBinary) {
        // Action Cable JSON sessions carry text only; a binary frame is
        // skipped (and counted) rather than ending the session.
        Inc(node_.metrics().failed_client_msg_total);
        WarnAboutClient("Ignored binary frame sid={}", info_.sid);
        return true;
      }
      if (!ws::IsValidUtf8(payload)) {
        Close(ws::kCloseInvalidPayload, "Invalid UTF-8");
        return false;
      }
      HandleMessage(payload);
      return true;
    case ws::Opcode::kContinuation: {
      if (fragment_opcode_ == 0) {
        Close(ws::kCloseProtocolError, "Unexpected continuation");
        return false;
      }
      if (fragments_.size() + payload.size() > node_.config().max_message_size) {
        Close(ws::kCloseTooBig, "Message too big");
        return false;
      }
      fragments_.append(payload);
      if (!fin) return true;
      std::string message;
      message.swap(fragments_);
      const uint8_t op = fragment_opcode_;
      fragment_opcode_ = 0;
      if (static_cast<ws::Opcode>(op) == ws::Opcode::kBinary) {
        Inc(node_.metrics().failed_client_msg_total);
        return true;
      }
      if (!ws::IsValidUtf8(message)) {
        Close(ws::kCloseInvalidPayload, "Invalid UTF-8");
        return false;
      }
      HandleMessage(message);
      return true;
    }
  }
  return true;
}

void Session::HandleMessage(std::string_view text) {
  auto parsed = protocol::ParseClientCommand(text);
  if (!parsed.ok()) {
    if (parsed.error().code == "ignored") return;
    Inc(node_.metrics().failed_client_msg_total);
    WarnAboutClient("Ignored client message sid={}: {}", info_.sid, parsed.error().message);
    return;
  }
  WorkerCounters::Add(worker_.counters().client_msg_total);
  pending_.push_back(std::move(parsed.value()));
  if (pending_.size() - pending_head_ > kMaxPendingCommands) reading_paused_ = true;
  if (!command_running_ && state_ == State::kOpen) ProcessNextCommand();
}

// ----------------------------------------------------------------- commands

void Session::ProcessNextCommand() {
  if (command_running_ || state_ != State::kOpen) return;
  if (pending_head_ == pending_.size()) {
    pending_.clear();
    pending_head_ = 0;
    if (pending_.capacity() > 8) pending_.shrink_to_fit();
    if (reading_paused_) {
      reading_paused_ = false;
      ArmRead();
    }
    return;
  }
  protocol::ClientCommand cmd = std::move(pending_[pending_head_++]);
  RunCommand(std::move(cmd));
}

void Session::CommandDone() {
  command_running_ = false;
  // Continue from the event loop, not the stack: an in-process controller
  // completes synchronously and a long queue must not recurse.
  auto self = shared_from_this();
  PostBack([self] { self->ProcessNextCommand(); });
}

void Session::RunCommand(protocol::ClientCommand cmd) {
  using protocol::CommandType;
  command_running_ = true;
  switch (cmd.type) {
    case CommandType::kSubscribe:
      return Subscribe(std::move(cmd));
    case CommandType::kUnsubscribe:
      return Unsubscribe(std::move(cmd));
    case CommandType::kMessage:
      return Perform(std::move(cmd));
    case CommandType::kPing:
      SendText(protocol::Pong());
      return CommandDone();
    case CommandType::kPong:
      return CommandDone();
    case CommandType::kWhisper:
      Whisper(cmd);
      return CommandDone();
    default:
      WarnAboutClient("Unsupported command sid={} identifier={}", info_.sid, cmd.identifier);
      return CommandDone();
  }
}

Subscription* Session::FindSubscription(const std::string& identifier) {
  for (auto& s : subscriptions_) {
    if (s.identifier == identifier) return &s;
  }
  return nullptr;
}

void Session::Subscribe(protocol::ClientCommand cmd) {
  if (FindSubscription(cmd.identifier)) {
    WarnAboutClient("Already subscribed sid={} identifier={}", info_.sid, cmd.identifier);
    return CommandDone();
  }
  const int max = node_.config().max_subscriptions_per_connection;
  if (max > 0 && subscriptions_.size() >= static_cast<size_t>(max)) {
    WarnAboutClient(
        "Subscription rejected sid={}: the connection already has {} "
        "(--max_subscriptions_per_connection)",
        info_.sid, subscriptions_.size());
    SendText(protocol::RejectSubscription(cmd.identifier));
    return CommandDone();
  }
  if (SubscribeLocally(cmd.identifier)) return CommandDone();
  CommandRequest request;
  request.command = "subscribe";
  request.identifier = cmd.identifier;
  request.connection_identifiers = identifiers_;
  request.env = MakeEnv(nullptr);
  CallCommand(std::move(request), true);
}

void Session::Unsubscribe(protocol::ClientCommand cmd) {
  Subscription* sub = FindSubscription(cmd.identifier);
  if (!sub) {
    WarnAboutClient("Unknown subscription sid={} identifier={}", info_.sid, cmd.identifier);
    return CommandDone();
  }
  if (sub->local) {
    RemoveSubscription(cmd.identifier);
    return CommandDone();
  }
  CommandRequest request;
  request.command = "unsubscribe";
  request.identifier = cmd.identifier;
  request.connection_identifiers = identifiers_;
  request.env = MakeEnv(&sub->istate);
  // Streams stop at once: the client considers itself unsubscribed now.
  RemoveSubscription(cmd.identifier);
  auto self = shared_from_this();
  node_.controller().Command(info_.sid, std::move(request), [self](CommandReply reply) {
    self->PostBack([self, reply = std::move(reply)]() mutable {
      if (reply.status == RpcStatus::kError) {
        log::Error("Unsubscribe failed sid={}: {}", self->info_.sid, reply.error);
      } else if (self->state_ == State::kOpen) {
        MergeState(self->cstate_, reply.cstate);
        for (const auto& t : reply.transmissions) self->SendText(t);
      }
      self->CommandDone();
    });
  });
}

void Session::Perform(protocol::ClientCommand cmd) {
  Subscription* sub = FindSubscription(cmd.identifier);
  if (!sub) {
    WarnAboutClient("Unknown subscription sid={} identifier={}", info_.sid, cmd.identifier);
    return CommandDone();
  }
  CommandRequest request;
  request.command = "message";
  request.identifier = cmd.identifier;
  request.connection_identifiers = identifiers_;
  request.data = std::move(cmd.data);
  request.env = MakeEnv(&sub->istate);
  CallCommand(std::move(request), false);
}

// Sends a subscribe or message command and applies the reply on this worker.
void Session::CallCommand(CommandRequest request, bool subscribing) {
  auto self = shared_from_this();
  std::string identifier = request.identifier;
  node_.controller().Command(
      info_.sid, std::move(request),
      [self, identifier = std::move(identifier), subscribing](CommandReply reply) {
        self->PostBack([self, identifier, subscribing, reply = std::move(reply)]() mutable {
          if (self->state_ == State::kOpen) self->ApplyCommandReply(identifier, reply, subscribing);
          self->CommandDone();
        });
      });
}

bool Session::SubscribeLocally(const std::string& identifier) {
  auto local = node_.local_channels().Subscribe(identifier);
  if (!local) return false;
  if (!local->confirmed) {
    log::Debug("Subscription rejected sid={} identifier={}: {}", info_.sid, identifier, local->log);
    SendText(protocol::RejectSubscription(identifier));
    return true;
  }
  subscriptions_.push_back(Subscription{identifier, {}, std::move(local->istate), true});
  SubscribeStream(subscriptions_.back(), local->stream);
  SendText(protocol::ConfirmSubscription(identifier));
  return true;
}

// Whispers go to the other subscribers of the subscription's whisper stream
// (`$w` in its state); the sender never gets its own whisper back.
void Session::Whisper(const protocol::ClientCommand& cmd) {
  Subscription* sub = FindSubscription(cmd.identifier);
  if (!sub) {
    WarnAboutClient("Unknown subscription sid={} identifier={}", info_.sid, cmd.identifier);
    return;
  }
  auto it = sub->istate.find("$w");
  if (it == sub->istate.end() || it->second.empty()) {
    log::Debug("Whisper not allowed sid={} identifier={}", info_.sid, cmd.identifier);
    return;
  }
  node_.Publish(MakeBroadcast(it->second, cmd.data, info_.sid));
}

// Applies a CommandResponse in anycable-go's order (spec §4.3).
void Session::ApplyCommandReply(const std::string& identifier, CommandReply& reply,
                                bool subscribing) {
  if (reply.status == RpcStatus::kError) {
    log::Error("Command failed sid={} identifier={}: {}", info_.sid, identifier, reply.error);
    return;
  }
  Subscription* sub = FindSubscription(identifier);
  if (subscribing && reply.status == RpcStatus::kSuccess && !sub) {
    disconnect_interest_ = true;
    subscriptions_.push_back(Subscription{identifier, {}, {}});
    sub = &subscriptions_.back();
  }
  if (sub) {
    if (reply.stop_streams) {
      auto streams = sub->streams;
      for (const auto& s : streams) UnsubscribeStream(*sub, s);
    } else {
      for (const auto& s : reply.stopped_streams) UnsubscribeStream(*sub, s);
    }
    for (const auto& s : reply.streams) SubscribeStream(*sub, s);
    MergeState(sub->istate, reply.istate);
  }
  MergeState(cstate_, reply.cstate);
  for (const auto& t : reply.transmissions) SendText(t);
  if (reply.disconnect) {
    // The application asked to drop the connection; its transmissions
    // (usually a disconnect message) went out first.
    Close(ws::kCloseNormal, "Command Failed");
  }
}

void Session::SubscribeStream(Subscription& sub, const std::string& stream) {
  for (const auto& s : sub.streams) {
    if (s == stream) return;
  }
  sub.streams.push_back(stream);
  if (worker_.hub().Add(stream, this, sub.identifier)) node_.StreamActivated(stream);
}

void Session::UnsubscribeStream(Subscription& sub, const std::string& stream) {
  for (size_t i = 0; i < sub.streams.size(); ++i) {
    if (sub.streams[i] == stream) {
      if (worker_.hub().Remove(stream, this, sub.identifier)) node_.StreamDeactivated(stream);
      sub.streams.erase(sub.streams.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
  }
}

void Session::RemoveSubscription(const std::string& identifier) {
  for (size_t i = 0; i < subscriptions_.size(); ++i) {
    if (subscriptions_[i].identifier == identifier) {
      for (const auto& s : subscriptions_[i].streams) {
        if (worker_.hub().Remove(s, this, identifier)) node_.StreamDeactivated(s);
      }
      subscriptions_.erase(subscriptions_.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
  }
}

// ------------------------------------------------------------------ writing

void Session::SendText(const std::string& json) {
  Send(FrameRef::Make(ws::EncodeFrame(ws::Opcode::kText, json)));
}

void Session::Send(const FrameRef& frame) {
  if (state_ == State::kClosed || close_after_flush_) return;
  const size_t limit = node_.config().ws_max_pending_size;
  // Slowness is judged by what is already waiting: a queue that has reached
  // the limit takes nothing more. One frame larger than the limit is still
  // delivered to a client that keeps up (it may follow a queue just under
  // the limit, so memory stays below limit + one shared frame).
  if (limit > 0 && outbox_.pending_bytes() >= limit) {
    // A client that does not read must not grow our memory. Its queue is
    // dropped and it is told to reconnect; the close happens from the
    // event loop because we may be inside a hub iteration.
    Inc(node_.metrics().disconnected_slow_clients_total);
    log::Warn("Slow client disconnected sid={} pending={}B", info_.sid, outbox_.pending_bytes());
    // Bytes a blocked SSL_write has taken are started too.
    outbox_.DropUnstarted(ssl_ && write_armed_ ? tls::kMaxRecordPlaintext : 0);
    close_after_flush_ = true;
    std::string msg =
        ws::EncodeFrame(ws::Opcode::kText, protocol::Disconnect(protocol::reason::kTooSlow, true));
    ws::AppendFrame(msg, ws::Opcode::kClose, std::string_view("\x03\xe8", 2));
    outbox_.Push(FrameRef::Make(std::move(msg)));
    state_ = State::kClosing;
    if (!dirty_) {
      dirty_ = true;
      worker_.MarkDirty(this);
    }
    return;
  }
  WorkerCounters::Add(worker_.counters().server_msg_total);
  outbox_.Push(frame);
  if (!dirty_ && !write_armed_) {
    dirty_ = true;
    worker_.MarkDirty(this);
  }
}

void Session::Flush() {
  if (state_ == State::kClosed) return;
  while (!outbox_.empty()) {
    const char* data = nullptr;
    size_t len = 0;
    if (outbox_.count() == 1) {
      // A single frame is sent from its own bytes: no copy.
      const auto& f = outbox_.at(0);
      data = f.bytes().data() + outbox_.head_offset();
      len = f.size() - outbox_.head_offset();
    } else {
      // Several frames are gathered into one contiguous buffer: one send()
      // for all of them is far cheaper than one per frame (or iovecs).
      char* buf = worker_.scratch();
      // TLS writes a record at a time: gathering more would copy in vain.
      const size_t cap = ssl_ ? tls::kMaxRecordPlaintext : worker_.scratch_size();
      data = buf;
      for (size_t i = 0; i < outbox_.count(); ++i) {
        const auto& f = outbox_.at(i);
        const size_t off = i == 0 ? outbox_.head_offset() : 0;
        const size_t n = f.size() - off;
        if (len + n > cap) {
          if (len == 0) {  // a single frame larger than the scratch buffer
            data = f.bytes().data() + off;
            len = n;
          }
          break;
        }
        std::memcpy(buf + len, f.bytes().data() + off, n);
        len += n;
      }
    }
    ssize_t n = ssl_ ? TlsSend(data, len)
                     : ::send(socket_.native_handle(), data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      WorkerCounters::Add(worker_.counters().data_sent_total, static_cast<uint64_t>(n));
      outbox_.Consume(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      ArmWrite();
      return;
    }
    if (n < 0 && errno == EINTR) continue;
    Inc(node_.metrics().failed_server_msg_total);
    Terminate();
    return;
  }
  if (write_armed_) return;
  worker_.WriteUnblocked(this);
  if (close_after_flush_) Terminate();
}

void Session::ArmWrite() {
  if (write_armed_) return;
  write_armed_ = true;
  write_blocked_since_ = std::chrono::steady_clock::now();
  worker_.WriteBlocked(this);
  auto self = shared_from_this();
  socket_.async_wait(tls_write_wants_read_ ? boost::asio::socket_base::wait_read
                                           : boost::asio::socket_base::wait_write,
                     [self](const boost::system::error_code& ec) {
                       self->write_armed_ = false;
                       if (ec) {
                         if (ec != boost::asio::error::operation_aborted) self->Terminate();
                         return;
                       }
                       self->Flush();
                     });
}

void Session::OnPongTimeout() {
  log::Debug("No pong sid={}", info_.sid);
  Disconnect(protocol::reason::kNoPong, true, ws::kCloseNormal, "No Pong");
}

void Session::OnWriteTimeout() {
  log::Warn("Write timeout sid={}", info_.sid);
  Inc(node_.metrics().failed_server_msg_total);
  Terminate();
}

// ------------------------------------------------------------------ closing

void Session::Disconnect(std::string_view reason, bool reconnect, uint16_t code,
                         std::string_view close_reason) {
  if (state_ == State::kClosed || close_after_flush_) return;
  if (!reason.empty()) SendText(protocol::Disconnect(reason, reconnect));
  Close(code, close_reason);
}

void Session::Close(uint16_t code, std::string_view reason) {
  if (state_ == State::kClosed || close_after_flush_) return;
  Send(FrameRef::Make(ws::EncodeClose(code, reason)));
  close_after_flush_ = true;
  state_ = State::kClosing;
  if (!dirty_ && !write_armed_) {
    dirty_ = true;
    worker_.MarkDirty(this);
  }
}

void Session::Terminate() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  auto self = shared_from_this();  // keep alive until the end of this call
  for (auto& sub : subscriptions_) {
    for (const auto& s : sub.streams) {
      if (worker_.hub().Remove(s, this, sub.identifier)) node_.StreamDeactivated(s);
    }
  }
  if (ssl_) {
    tls::ShutdownQuietly(ssl_.get());
    ssl_.reset();  // before the descriptor, whose number will be reused
  }
  boost::system::error_code ec;
  socket_.shutdown(boost::asio::socket_base::shutdown_both, ec);
  socket_.close(ec);
  outbox_.Clear();
  std::string().swap(inbuf_);

  const auto mode = node_.config().disconnect_mode;
  const bool call = authenticated_ && mode != "never" && (mode == "always" || disconnect_interest_);
  if (call) {
    DisconnectRequest request;
    request.identifiers = identifiers_;
    request.env = MakeEnv(nullptr);
    for (const auto& sub : subscriptions_) {
      request.subscriptions.push_back(sub.identifier);
      request.env.istate[sub.identifier] = StateToJson(sub.istate);
    }
    node_.disconnector().Enqueue(info_.sid, std::move(request));
  }
  subscriptions_.clear();
  if (suppressed_warnings_ > 0) {
    log::Warn("Disconnected sid={}: {} more warnings about its input were not logged", info_.sid,
              suppressed_warnings_);
  }
  log::Debug("Disconnected sid={}", info_.sid);
  worker_.Unregister(this);
}

}  // namespace cable::server
