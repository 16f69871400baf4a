#include "bench/connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "bench/clock.h"
#include "bench/loop.h"
#include "bench/payload.h"
#include "bench/reconnector.h"
#include "bench/scanner.h"
#include "bench/script/client.h"
#include "common/tls_client.h"
#include "common/ws/frame.h"

namespace cable::bench {

namespace {
// The generator reads whatever the server sends; the size of what it keeps
// is bounded by carry_'s growth per read, not by a message limit.
constexpr uint64_t kNoMessageLimit = UINT64_MAX;

std::string_view ErrnoReason(int err) {
  switch (err) {
    case ECONNREFUSED:
      return "refused";
    case ECONNRESET:
      return "reset";
    case EPIPE:
      return "reset";
    case ETIMEDOUT:
      return "timeout";
    case EADDRNOTAVAIL:
      return "no_local_port";
    case EMFILE:
    case ENFILE:
      return "fd_limit";
    case ENETUNREACH:
    case EHOSTUNREACH:
      return "unreachable";
    default:
      return "io_error";
  }
}

// Whether the JSON array `list` holds a string whose contents are `escaped`.
bool ListsString(std::string_view list, std::string_view escaped) {
  for (size_t at = list.find(escaped); at != std::string_view::npos;
       at = list.find(escaped, at + 1)) {
    size_t end = at + escaped.size();
    if (at > 0 && list[at - 1] == '"' && end < list.size() && list[end] == '"') return true;
  }
  return false;
}

}  // namespace

Connection::Connection(Loop& loop, int client, int stream)
    : loop_(loop), client_(client), stream_(stream) {}

void Connection::Start(int64_t now_ns) {
  start_ns_ = now_ns;
  state_ = State::kConnecting;
  const Plan& plan = loop_.plan();
  const auto& ep = plan.endpoint;
  fd_ = ::socket(ep.protocol().family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return End(ErrnoReason(errno));
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!plan.local_addrs.empty()) {
    const auto& addr = plan.local_addrs[static_cast<size_t>(client_) % plan.local_addrs.size()];
    boost::asio::ip::tcp::endpoint local(addr, 0);
    if (::bind(fd_, local.data(), static_cast<socklen_t>(local.size())) != 0) {
      return End(ErrnoReason(errno));
    }
  }
  if (::connect(fd_, ep.data(), static_cast<socklen_t>(ep.size())) == 0) {
    loop_.Watch(fd_, this, EPOLLIN);
    return OnConnected();
  }
  if (errno != EINPROGRESS) return End(ErrnoReason(errno));
  if (!plan.tls && SendUpgradeAtOnce()) return;
  // Writable means the handshake finished (or failed: SO_ERROR says which).
  loop_.Watch(fd_, this, EPOLLOUT);
}

// On loopback, and wherever the TCP handshake is quick, the connection is
// established by the time connect() returns. Then the upgrade request goes
// out at once and the socket is registered once, for input: no wait for
// writability, no SO_ERROR and no re-registration. A connection still
// being established refuses the send with EAGAIN and is waited for.
bool Connection::SendUpgradeAtOnce() {
  const std::string request = UpgradeRequest();
  const ssize_t n = ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return false;
  if (n < 0) {
    End(ErrnoReason(errno));
    return true;
  }
  loop_.Watch(fd_, this, EPOLLIN);
  loop_.OnTcpConnected(*this, NowNs());
  state_ = State::kUpgrading;
  // The rest of a partial send waits for writability like any other.
  const size_t sent = static_cast<size_t>(n);
  if (sent < request.size()) SendRaw(request.data() + sent, request.size() - sent);
  return true;
}

void Connection::OnEvent(uint32_t events) {
  if (state_ == State::kClosed || state_ == State::kIdle) return;
  if (state_ == State::kTlsHandshake) return ContinueTlsHandshake();
  if (state_ == State::kConnecting) {
    if (events & (EPOLLERR | EPOLLHUP)) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
      return End(ErrnoReason(err != 0 ? err : ECONNRESET));
    }
    if (!(events & EPOLLOUT)) return;
    loop_.Modify(fd_, this, EPOLLIN);
    return OnConnected();
  }
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
    OnReadable();
    // Bytes OpenSSL already holds are invisible to epoll: drain them now.
    while (ssl_ && state_ != State::kClosed && SSL_pending(ssl_) > 0) OnReadable();
  }
  if ((events & EPOLLOUT) && state_ != State::kClosed) OnWritable();
}

void Connection::OnConnected() {
  loop_.OnTcpConnected(*this, NowNs());
  const Plan& plan = loop_.plan();
  if (!plan.tls) return SendUpgrade();
  state_ = State::kTlsHandshake;
  ssl_ = SSL_new(plan.tls.get());
  if (!ssl_ || SSL_set_fd(ssl_, fd_) != 1) return End("tls_setup");
  tls::ExpectPeerName(ssl_, plan.options->host);
  ContinueTlsHandshake();
}

void Connection::ContinueTlsHandshake() {
  ERR_clear_error();
  int rc = SSL_connect(ssl_);
  if (rc == 1) {
    loop_.Modify(fd_, this, EPOLLIN);
    return SendUpgrade();
  }
  switch (SSL_get_error(ssl_, rc)) {
    case SSL_ERROR_WANT_READ:
      loop_.Modify(fd_, this, EPOLLIN);
      return;
    case SSL_ERROR_WANT_WRITE:
      loop_.Modify(fd_, this, EPOLLIN | EPOLLOUT);
      return;
    default: {
      if (std::string failure = tls::VerifyFailure(ssl_); !failure.empty()) {
        return End("tls_verify: " + failure);
      }
      return End("tls_handshake");
    }
  }
}

std::string Connection::UpgradeRequest() const {
  return script_ ? script_->UpgradeRequest()
                 : loop_.plan().UpgradeRequest(client_,
                                               reconnecting() ? rejoin_->sid : std::string_view());
}

void Connection::SendUpgrade() {
  state_ = State::kUpgrading;
  const std::string request = UpgradeRequest();
  SendRaw(request.data(), request.size());
}

long Connection::Recv(char* buf, size_t size) {
  if (!ssl_) return ::recv(fd_, buf, size, MSG_DONTWAIT);
  ERR_clear_error();
  int n = SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(size, 1 << 30)));
  if (n > 0) return n;
  switch (SSL_get_error(ssl_, n)) {
    case SSL_ERROR_ZERO_RETURN:
      return 0;
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_SYSCALL:
      if (errno == 0) return 0;  // EOF without close_notify
      return -1;
    default:
      errno = ECONNRESET;
      return -1;
  }
}

long Connection::Send(const char* data, size_t size) {
  if (!ssl_) return ::send(fd_, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
  ERR_clear_error();
  int n = SSL_write(ssl_, data, static_cast<int>(std::min<size_t>(size, 1 << 30)));
  if (n > 0) return n;
  switch (SSL_get_error(ssl_, n)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_SYSCALL:
      if (errno == 0) errno = EPIPE;
      return -1;
    default:
      errno = EPIPE;
      return -1;
  }
}

void Connection::OnReadable() {
  // One recv per readiness report: the poller is level-triggered, so a
  // socket with more data is simply reported again on the next turn, and
  // one busy client cannot starve the others.
  constexpr size_t kCap = Loop::kReadBufferSize;
  char* buf = loop_.read_buffer();
  size_t have = 0;
  if (!carry_.empty()) {
    ws::FrameHeader h;
    uint16_t error = 0;
    size_t need = kCap;
    if (ws::ParseHeader(carry_, kNoMessageLimit, ws::Sender::kServer, &h, &error) ==
        ws::ParseStatus::kOk) {
      need = static_cast<size_t>(h.header_len + h.payload_len);
    }
    if (need > kCap / 2) {
      // A message larger than half the shared buffer is assembled in carry_.
      size_t old = carry_.size();
      carry_.resize(std::max(need, old + 4096));
      ssize_t n = Recv(carry_.data() + old, carry_.size() - old);
      carry_.resize(old + static_cast<size_t>(std::max<ssize_t>(n, 0)));
      if (n == 0) return End("eof");
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        return End(ErrnoReason(errno));
      }
      loop_.OnBytes(n);
      size_t used = Consume(carry_.data(), carry_.size());
      if (state_ == State::kClosed) return;
      carry_.erase(0, used);
      return;
    }
    have = carry_.size();
    std::memcpy(buf, carry_.data(), have);
    carry_.clear();
  }
  ssize_t n = Recv(buf + have, kCap - have);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (have) carry_.assign(buf, have);
      return;
    }
    return End(n == 0 ? "eof" : ErrnoReason(errno));
  }
  loop_.OnBytes(n);
  have += static_cast<size_t>(n);
  size_t used = Consume(buf, have);
  if (state_ == State::kClosed) return;
  if (used < have) carry_.assign(buf + used, have - used);
}

size_t Connection::Consume(char* data, size_t size) {
  if (state_ == State::kUpgrading) {
    size_t used = ConsumeUpgrade(data, size);
    if (state_ == State::kUpgrading || state_ == State::kClosed) return used;
    return used + ConsumeFrames(data + used, size - used);
  }
  return ConsumeFrames(data, size);
}

size_t Connection::ConsumeUpgrade(char* data, size_t size) {
  std::string_view text(data, size);
  size_t end = text.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (size > 16 * 1024) End("bad_upgrade_response");
    return 0;
  }
  int status = 0;
  if (text.size() > 12 && text.substr(0, 5) == "HTTP/") {
    size_t sp = text.find(' ');
    if (sp != std::string_view::npos) status = std::atoi(data + sp + 1);
  }
  if (status != 101) {
    std::string reason = status ? HttpStatusCode(status) : "bad_upgrade_response";
    End(reason);
    return size;
  }
  state_ = State::kWelcoming;
  loop_.OnUpgraded(*this);
  return end + 4;
}

size_t Connection::ConsumeFrames(char* data, size_t size) {
  size_t pos = 0;
  while (pos < size) {
    ws::FrameHeader h;
    uint16_t error = 0;
    const auto status = ws::ParseHeader(std::string_view(data + pos, size - pos), kNoMessageLimit,
                                        ws::Sender::kServer, &h, &error);
    if (status == ws::ParseStatus::kError) {
      End("protocol_error");
      return size;
    }
    if (status == ws::ParseStatus::kIncomplete || h.header_len + h.payload_len > size - pos) break;
    char* payload = data + pos + h.header_len;
    auto len = static_cast<size_t>(h.payload_len);
    pos += h.header_len + len;
    std::string_view body(payload, len);
    switch (h.opcode) {
      case ws::Opcode::kText:
      case ws::Opcode::kBinary:
        if (h.fin) {
          OnMessage(body);
        } else {
          fragment_.assign(body);
        }
        break;
      case ws::Opcode::kContinuation:
        fragment_.append(body);
        if (h.fin) {
          std::string whole;
          whole.swap(fragment_);
          OnMessage(whole);
        }
        break;
      case ws::Opcode::kPing: {
        std::string& frame = loop_.frame_buffer();
        frame.clear();
        ws::AppendMaskedFrame(frame, static_cast<uint8_t>(ws::Opcode::kPong), body, loop_.mask());
        SendRaw(frame.data(), frame.size());
        break;
      }
      case ws::Opcode::kPong:
        break;
      case ws::Opcode::kClose: {
        uint16_t code;
        std::string_view reason;
        ws::ParseClosePayload(body, &code, &reason);
        End("close_" + std::to_string(code));
        break;
      }
    }
    if (state_ == State::kClosed) return size;
  }
  return pos;
}

void Connection::OnMessage(std::string_view payload) {
  ScannedMessage m = ScanMessage(payload);
  if (script_ && state_ == State::kReady && m.kind != MessageKind::kPing &&
      m.kind != MessageKind::kDisconnect && m.kind != MessageKind::kWelcome) {
    return script_->OnMessage(payload, m);
  }
  switch (m.kind) {
    case MessageKind::kPing:
      loop_.OnPing();
      // The extended protocol expects pongs once the server enforces them.
      if (loop_.options().subprotocol == "actioncable-v1-ext-json" && state_ == State::kReady) {
        SendText("{\"command\":\"pong\"}");
      }
      return;
    case MessageKind::kData:
      if (state_ == State::kReady) loop_.OnData(*this, m);
      return;
    case MessageKind::kDisconnect:
      End("disconnect:" + std::string(m.reason.empty() ? "unknown" : m.reason));
      return;
    case MessageKind::kWelcome:
      if (state_ == State::kWelcoming) OnWelcome(m);
      return;
    case MessageKind::kConfirm:
      if (state_ != State::kSubscribing) return;
      state_ = State::kReady;
      if (presence_) {
        loop_.presence().OnConfirmed(*this, NowNs());
      } else if (recovering()) {
        loop_.reconnector().OnReady(*this, NowNs());
      } else {
        loop_.OnReady(*this, NowNs());
      }
      return;
    case MessageKind::kConfirmHistory:
    case MessageKind::kRejectHistory:
      if (state_ == State::kReady && recovering()) {
        loop_.reconnector().OnHistoryEnd(*this, m.kind == MessageKind::kConfirmHistory, NowNs());
      }
      return;
    case MessageKind::kPresence:
      if (presence_ && state_ == State::kReady) loop_.presence().OnMessage(*this, m);
      return;
    case MessageKind::kReject:
      if (state_ == State::kSubscribing) End("rejected");
      return;
    case MessageKind::kInvalid:
      if (state_ != State::kReady) End("protocol_error");
      return;
    case MessageKind::kOther:
      return;
  }
}

void Connection::OnWelcome(const ScannedMessage& m) {
  if (script_) {
    state_ = State::kReady;
    loop_.OnWelcome(*this, NowNs());
    return script_->OnWelcome();
  }
  if (rejoin_) {
    rejoin_->sid.assign(m.sid);
    if (rejoin_->phase == Rejoin::Phase::kReconnecting) return OnRewelcome(m);
  }
  if (presence_ && presence_->phase == PresenceMember::Phase::kRedialing) {
    state_ = State::kReady;
    return loop_.presence().OnRewelcome(*this, NowNs());
  }
  loop_.OnWelcome(*this, NowNs());
  if (presence_) {
    // Subscribed (and joined) later, at its turn.
    presence_->phase = PresenceMember::Phase::kWaiting;
    state_ = State::kReady;
    loop_.OnReady(*this, NowNs());
  } else if (loop_.options().subscribe) {
    state_ = State::kSubscribing;
    SendText(loop_.plan().streams[static_cast<size_t>(stream_)].subscribe_command);
  } else {
    state_ = State::kReady;
    loop_.OnReady(*this, NowNs());
  }
}

void Connection::OnRewelcome(const ScannedMessage& m) {
  const StreamPlan& s = loop_.plan().streams[static_cast<size_t>(stream_)];
  // Restored for this client means its subscription is back: the server
  // lists the identifier in restored_ids (a JSON array of strings).
  rejoin_->restored = m.restored && ListsString(m.restored_ids, s.escaped_identifier);
  rejoin_->phase = Rejoin::Phase::kRecovering;
  positions_.BeginRecovery();
  loop_.reconnector().OnWelcome(*this, rejoin_->restored);
  if (rejoin_->restored) {
    state_ = State::kReady;
    loop_.reconnector().OnReady(*this, NowNs());
    SendHistoryCommand("history");
  } else {
    // History along with subscribe runs once the subscription is confirmed.
    state_ = State::kSubscribing;
    SendHistoryCommand("subscribe");
  }
}

void Connection::SendHistoryCommand(std::string_view command) {
  std::string& out = loop_.command_buffer();
  out.clear();
  AppendHistoryCommand(out, command,
                       loop_.plan().streams[static_cast<size_t>(stream_)].escaped_identifier,
                       positions_, loop_.reconnector().since_unix_s());
  rejoin_->history_sent_ns = NowNs();
  SendText(out);
}

void Connection::Drop() {
  Abort();
  rejoin_->phase = Rejoin::Phase::kOffline;
}

void Connection::Reconnect(int64_t now_ns) {
  rejoin_->phase = Rejoin::Phase::kReconnecting;
  rejoin_->reconnect_ns = now_ns;
  want_write_ = false;
  fragment_.clear();
  Start(now_ns);
}

void Connection::Subscribe(std::string_view command) {
  state_ = State::kSubscribing;
  SendText(command);
}

void Connection::Redial(int64_t now_ns) {
  want_write_ = false;
  fragment_.clear();
  Start(now_ns);
}

bool Connection::SendText(std::string_view payload) {
  std::string& frame = loop_.frame_buffer();
  frame.clear();
  ws::AppendMaskedFrame(frame, static_cast<uint8_t>(ws::Opcode::kText), payload, loop_.mask());
  return SendRaw(frame.data(), frame.size());
}

bool Connection::SendRaw(const char* data, size_t size) {
  if (state_ == State::kClosed || state_ == State::kIdle) return false;
  if (!out_.empty()) {  // keep order behind what is already waiting
    out_.append(data, size);
    return true;
  }
  while (true) {
    ssize_t n = Send(data, size);
    if (n == static_cast<ssize_t>(size)) return true;
    if (n >= 0) {
      out_.assign(data + n, size - static_cast<size_t>(n));
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      out_.assign(data, size);
      break;
    }
    End(ErrnoReason(errno));
    return false;
  }
  if (!want_write_) {
    want_write_ = true;
    loop_.Modify(fd_, this, EPOLLIN | EPOLLOUT);
  }
  return true;
}

void Connection::OnWritable() {
  std::string pending;
  pending.swap(out_);
  if (!pending.empty() && !SendRaw(pending.data(), pending.size())) return;
  if (out_.empty() && want_write_ && state_ != State::kClosed) {
    want_write_ = false;
    loop_.Modify(fd_, this, EPOLLIN);
  }
}

void Connection::TimeOut() {
  End("timeout");
}

void Connection::End(std::string_view reason) {
  if (state_ == State::kClosed) return;
  bool handshaking = state_ != State::kReady;
  state_ = State::kClosed;
  Abort();
  loop_.OnEnded(*this, reason, handshaking);
}

void Connection::Abort() {
  if (ssl_) {
    SSL_free(ssl_);  // no close_notify: the close is abortive anyway
    ssl_ = nullptr;
  }
  if (fd_ >= 0) {
    // RST instead of FIN: the run is over for this client, and 10k
    // TIME_WAIT sockets would eat the ephemeral ports of the next run.
    linger l{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd_);  // also leaves the loop's epoll set
    fd_ = -1;
  }
  if (state_ != State::kIdle) state_ = State::kClosed;
  carry_.clear();
  carry_.shrink_to_fit();
  out_.clear();
}

}  // namespace cable::bench
