#include <sys/epoll.h>
#include <sys/socket.h>

#include <cassert>
#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "common/ws/frame.h"
#include "server/node.h"
#include "server/protocol/messages.h"
#include "server/session/session.h"
#include "server/session/session_internal.h"
#include "server/worker.h"

// Session: socket and TLS I/O, the frame reader's events, queued output.

namespace cable::server {

namespace {
// Bytes read per readiness event before yielding to other sessions.
constexpr size_t kMaxReadPerTurn = 256 * 1024;
}  // namespace

// ------------------------------------------------------------------ reading

// Edge-triggered readiness (session_poller.h): an event says that input
// arrived, not that some is waiting. So the session reads until the kernel
// has nothing more, or remembers in read_ready_ that it stopped early.
void Session::ArmRead() {
  if (read_armed_ || reading_paused_ || state_ == State::kClosed) return;
  // Bytes OpenSSL already holds would never make the socket readable.
  if (read_ready_ || (ssl_ && tls::HasPending(ssl_.get()))) {
    read_armed_ = true;
    auto self = shared_from_this();
    PostBack([self] {
      if (!self->read_armed_) return;
      self->read_armed_ = false;
      self->OnReadable();
    });
    return;
  }
  read_armed_ = true;
}

void Session::OnEvents(uint32_t events) {
  if (state_ == State::kClosed) return;
  const bool in = (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
  const bool out = (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0;
  if (in) read_ready_ = true;
  // With TLS a write may wait for input (a renegotiation, a key update)
  // and a read for output; plain sockets wait for what they do.
  if (write_armed_ && (tls_write_wants_read_ ? in : out)) {
    write_armed_ = false;
    Flush();
  }
  if (read_armed_ && (tls_read_wants_write_ ? out : read_ready_)) {
    read_armed_ = false;
    OnReadable();
  }
}

void Session::OnReadable() {
  if (state_ == State::kClosed) return;
  size_t total = 0;
  while (total < kMaxReadPerTurn && state_ != State::kClosed) {
    char* buf = worker_.scratch();
    ssize_t n = ssl_ ? TlsRecv(buf, worker_.scratch_size())
                     : ::recv(fd_, buf, worker_.scratch_size(), MSG_DONTWAIT);
    if (n > 0) {
      total += static_cast<size_t>(n);
      WorkerCounters::Add(worker_.counters().data_rcvd_total, static_cast<uint64_t>(n));
      // An SSE client has said all it will in its request; reading on only
      // notices when it goes away, and whatever it sends is dropped.
      if (!IsSse(basics_.framing)) {
        reader_.Feed(buf, static_cast<size_t>(n), node_.config().max_message_size, *this);
      }
      // A short recv() drained the socket. SSL_read returns one record at
      // a time, so TLS reads on until OpenSSL wants the socket again.
      if (static_cast<size_t>(n) < worker_.scratch_size() && !ssl_) {
        read_ready_ = false;
        break;
      }
      continue;
    }
    if (n == 0) {  // peer closed the TCP connection
      Terminate();
      return;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      read_ready_ = false;
      break;
    }
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
  log::Debug("TLS read failed sid={}: {}", basics_.sid, tls::ErrorText());
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
  log::Debug("TLS write failed sid={}: {}", basics_.sid, tls::ErrorText());
  errno = ECONNRESET;
  return -1;
}

// ----------------------------------------------------------- frame events

void Session::OnFrame() {
  // Any frame proves the client alive, as in anycable-go.
  if (requires_pongs_) worker_.PongSeen(this);
}

bool Session::OnText(std::string_view message) {
  HandleMessage(message);
  return reading();
}

bool Session::OnBinary(size_t size) {
  // Action Cable JSON sessions carry text only; a binary message is
  // skipped (and counted) rather than ending the session.
  Inc(node_.metrics().failed_client_msg_total);
  WarnAboutClient("Ignored binary message sid={} ({} bytes)", basics_.sid, size);
  return reading();
}

bool Session::OnPing(std::string_view payload) {
  Send(FrameRef::Make(ws::EncodeFrame(ws::Opcode::kPong, payload)));
  return reading();
}

bool Session::OnPong() {
  return reading();
}

void Session::OnClose(uint16_t code) {
  log::Debug("Client closed sid={} code={}", basics_.sid, code);
  Close(ws::kCloseNormal, "");
}

void Session::OnProtocolError(uint16_t close_code, std::string_view reason) {
  log::Debug("Protocol error sid={} code={} ({})", basics_.sid, close_code, reason);
  Close(close_code, reason);
}

// ------------------------------------------------------------------ writing

void Session::SendText(const std::string& json) {
  if (FrameRef frame = EncodeMessage(basics_.framing, json)) Send(frame);
}

void Session::Send(const FrameRef& frame) {
  assert(worker_.InThread() && "a session is touched only on its worker");
  if (state_ == State::kClosing || state_ == State::kClosed) return;
  const size_t limit = node_.config().ws_max_pending_size;
  // Slowness is judged by what is already waiting: a queue that has reached
  // the limit takes nothing more. One frame larger than the limit is still
  // delivered to a client that keeps up (it may follow a queue just under
  // the limit, so memory stays below limit + one shared frame).
  if (limit > 0 && outbox_.pending_bytes() >= limit) return QueueTooSlow();
  WorkerCounters::Add(worker_.counters().server_msg_total);
  outbox_.Push(basics_.deflate ? frame.Deflated() : frame);
  MarkDirty();
}

// A client that does not read must not grow our memory. Its queue is
// dropped and it is told to reconnect; the close happens from the event
// loop because we may be inside a hub iteration.
void Session::QueueTooSlow() {
  Inc(node_.metrics().disconnected_slow_clients_total);
  log::Warn("Slow client disconnected sid={} pending={}B", basics_.sid, outbox_.pending_bytes());
  // An SSE response still held was never started: it becomes an error.
  if (output_held_) return RefuseSse(503, "too slow");
  // Bytes a blocked SSL_write has taken are started too.
  outbox_.DropUnstarted(ssl_ && write_armed_ ? tls::kMaxRecordPlaintext : 0);
  std::string msg;
  if (FrameRef notice =
          EncodeMessage(basics_.framing, protocol::Disconnect(protocol::reason::kTooSlow, true))) {
    msg = notice.bytes();
  }
  msg += EncodeEnd(basics_.framing, ws::kCloseNormal, "");
  outbox_.Push(FrameRef::Make(std::move(msg)));
  state_ = State::kClosing;
  MarkDirty();
}

void Session::MarkDirty() {
  if (dirty_ || write_armed_ || output_held_) return;  // a flush is already due, or not yet
  dirty_ = true;
  worker_.MarkDirty(this);
}

void Session::Flush() {
  assert(worker_.InThread() && "a session is touched only on its worker");
  if (state_ == State::kClosed || output_held_) return;
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
    ssize_t n = ssl_ ? TlsSend(data, len) : ::send(fd_, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
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
  if (state_ == State::kClosing) Terminate();
}

// Armed only after a write met a full socket: the kernel then reports the
// next freed space as an edge.
void Session::ArmWrite() {
  if (write_armed_) return;
  write_armed_ = true;
  write_blocked_since_ = std::chrono::steady_clock::now();
  worker_.WriteBlocked(this);
}

void Session::OnPongTimeout() {
  log::Debug("No pong sid={}", basics_.sid);
  Disconnect(protocol::reason::kNoPong, true, ws::kCloseNormal, "No Pong");
}

void Session::OnWriteTimeout() {
  log::Warn("Write timeout sid={}", basics_.sid);
  // A write that timed out also failed, so it counts in both, as anycable-go's do.
  Inc(node_.metrics().failed_server_msg_total);
  Inc(node_.metrics().timeout_server_msg_total);
  // Close with a reset: the kernel would otherwise keep the megabytes queued
  // for a client that does not read, trickling them out for minutes after
  // the session is gone. A flood of stalled readers must not pin that memory.
  if (fd_ >= 0) {
    const linger reset{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  }
  Terminate();
}

}  // namespace cable::server
