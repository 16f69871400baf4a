#pragma once
// One client after the upgrade: its socket, identity, subscriptions and
// queued output. Lives on one worker; every method must be called on that
// worker's thread. Most clients speak WebSocket; a Server-Sent Events client
// is the same session writing through another framing (framing.h), fed its
// subscribe commands by the HTTP request rather than by frames.
//
// The class is written in several files along its jobs:
// - session.cpp: life cycle — start, identification, close, termination;
// - session_io.cpp: socket and TLS I/O — reading into the worker's scratch
//   buffer, the frame reader's events, queued output and its flush;
// - session_commands.cpp: the Action Cable command queue and dispatch, and
//   applying RPC replies in anycable-go's order;
// - session_reliable.cpp: the extended protocol's reliable streams —
//   history replay, snapshots kept by the broker, restore on reconnect;
// - session_presence.cpp: presence — join, leave, the presence query;
// - session_sse.cpp: the SSE response — held until the request's
//   subscriptions are settled, then 200 or an HTTP error;
// - session_pusher.cpp: Pusher clients (spec §11.4) — their events turned
//   into commands, their channels subscribed.
// Framing lives in FrameReader and subscription bookkeeping in
// Subscriptions, both pure enough to test without a socket.
//
// Reading is readiness-based: the worker's poller reports when input has
// arrived (edge-triggered) and the session reads into the worker's shared
// scratch buffer, keeping bytes of its own only for a partial frame. An
// idle session therefore holds no read buffer at all — nor, beyond its
// own object, much else: every field that most clients never use (states,
// frame buffers, the request once no call needs it) is a pointer until it
// is. docs/benchmarks.md has the bytes per client and where they go. Output is queued (shared
// frames) and flushed by the worker once per event-loop pass, several frames per syscall.
//
// With TLS the session holds the connection's SSL and calls SSL_read and
// SSL_write where a plain session calls recv and send; nothing else differs.
//
// Commands are processed one at a time, in order, as Action Cable requires
// (a `message` must see the state its `subscribe` produced). While too many
// commands wait, the session stops reading: TCP backpressure instead of an
// unbounded queue.

#include <fmt/format.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/log.h"
#include "server/config.h"
#include "server/controller/controller.h"
#include "server/hub/broadcast.h"
#include "server/protocol/client_command.h"
#include "server/session/frame_reader.h"
#include "server/session/framing.h"
#include "server/session/outbox.h"
#include "server/session/subscriptions.h"
#include "server/transport/connection_slot.h"
#include "server/transport/tls.h"

namespace cable::server {

class Broker;
class Node;
class Worker;
struct SessionSnapshot;
struct LocalSubscription;

// What the transport learned from the upgrade (or SSE) request.
struct SessionInfo {
  std::string sid;
  std::string url;          // http(s)://host/path?query
  HeaderList headers;       // proxied headers, lowercase names, incl. REMOTE_ADDR
  std::string subprotocol;  // negotiated, may be empty
  bool deflate = false;     // permessage-deflate negotiated
  std::string token;        // JWT from header, subprotocol or query (when JWT is on)
  std::string restore_sid;  // the previous session's sid, to restore (spec §2.3)
  int ping_interval_ms = 3000;
  PingPrecision ping_precision = PingPrecision::kSeconds;
  ConnectionSlot connection_slot;  // frees a --max-conn slot when dropped
  int fd = -1;                     // the socket, non-blocking; the session owns it
  Framing framing = Framing::kWebSocket;
};

// The HTTP side of an SSE session (spec §11.1), decided by the request.
struct SseStart {
  std::vector<protocol::ClientCommand> subscribes;  // all must be confirmed
  std::string head;                                 // the 200 response head, blank line included
  std::string refusal_headers;                      // header lines an error response carries too
};

class Session : public std::enable_shared_from_this<Session>, private FrameReader::Events {
 public:
  // `ssl` empty: plain TCP.
  Session(Node& node, Worker& worker, SessionInfo info, tls::SslPtr ssl = nullptr);
  ~Session();

  // Queues the upgrade response, then begins authentication and reading.
  // `leftover` holds bytes that arrived right behind the upgrade request.
  // `watched`: the worker's poller already watches the socket (for the
  // HTTP connection), and the session takes that registration over.
  void Start(std::string leftover, std::string handshake_response, bool watched);
  // An SSE session (session_sse.cpp): authenticates, runs the subscribes,
  // and only then answers 200 with what was queued meanwhile — or 401/400
  // with nothing else, as anycable-go does.
  void StartSse(SseStart start, bool watched);

  const std::string& sid() const { return basics_.sid; }
  const std::string& identifiers() const { return identifiers_ ? *identifiers_ : kNone; }
  bool open() const { return state_ == State::kOpen; }
  PingPrecision ping_precision() const { return basics_.ping_precision; }
  Framing framing() const { return basics_.framing; }
  // Kept by the broker for restore: the extended protocol with a broker
  // that keeps sessions.
  bool restorable() const;
  // Joined a presence stream at some point (the broker keeps its records
  // alive while it is connected).
  bool in_presence() const { return in_presence_; }

  // Queues a frame; the worker flushes queued output after the current pass.
  // Never touches the hub synchronously (it may be called while iterating it).
  void Send(const FrameRef& frame);
  // A message encoded for this session's framing (skipped when the framing
  // does not carry it).
  void SendText(const std::string& json);

  // Called by the worker: writes as much queued output as the socket takes.
  void Flush();
  // Called by the worker's poller with epoll's event bits for the socket.
  void OnEvents(uint32_t events);
  void OnWriteTimeout();
  void OnPongTimeout();

  // Sends a disconnect message (when `reason` is not empty), then a close
  // frame, then closes the socket once the output is flushed.
  void Disconnect(std::string_view reason, bool reconnect, uint16_t code,
                  std::string_view close_reason);

  // Wheel bookkeeping owned by the worker.
  struct PingSlot {
    int interval_ms = 0;
    uint32_t slot = 0;
    uint32_t index = 0;
    uint8_t skip_rounds = 0;
  };
  PingSlot& ping_slot() { return ping_slot_; }

  std::chrono::steady_clock::time_point write_blocked_since() const { return write_blocked_since_; }

 private:
  // What the session keeps of its SessionInfo for its whole life.
  struct Basics {
    std::string sid;
    int ping_interval_ms = 3000;
    PingPrecision ping_precision = PingPrecision::kSeconds;
    Framing framing = Framing::kWebSocket;
    bool deflate = false;
    bool extended_protocol = false;  // actioncable-v1-ext-json
  };
  // What only the application's calls and authentication need (env url
  // and headers, the token, the sid to restore). Dropped once authenticated
  // when no call can follow (--norpc): an idle session then keeps none of
  // its request.
  struct RequestDetails {
    std::string url;
    HeaderList headers;
    std::string token;
    std::string restore_sid;
  };

  // kClosing: a close frame is queued; nothing more is read or queued, and
  // the socket closes once the output is flushed.
  enum class State : uint8_t { kConnecting, kOpen, kClosing, kClosed };

  // session.cpp
  // Joins the worker and its poller; false (and terminated) if the kernel
  // refuses to watch the socket.
  bool Attach(bool watched);
  RequestEnv MakeEnv() const;
  // Raised when the session terminates, so RPC calls still waiting for a
  // concurrency slot are dropped (shares ownership with the session).
  CancelFlag cancel_flag() { return CancelFlag(shared_from_this(), &terminated_); }
  void Authenticate();
  void AuthenticateAfresh();
  void OnConnectReply(ConnectReply reply);
  void Accept(std::string identifiers, std::vector<std::string> transmissions);
  void Close(uint16_t code, std::string_view reason);
  void Terminate();
  void CallDisconnect();

  // session_io.cpp
  void ArmRead();
  void OnReadable();
  ssize_t TlsRecv(char* buf, size_t size);
  ssize_t TlsSend(const char* data, size_t len);
  void MarkDirty();
  void ArmWrite();
  void QueueTooSlow();
  // FrameReader::Events
  void OnFrame() override;
  bool OnText(std::string_view message) override;
  bool OnBinary(size_t size) override;
  bool OnPing(std::string_view payload) override;
  bool OnPong() override;
  void OnClose(uint16_t code) override;
  void OnProtocolError(uint16_t close_code, std::string_view reason) override;
  bool reading() const { return state_ == State::kConnecting || state_ == State::kOpen; }

  // session_commands.cpp
  void HandleMessage(std::string_view text);
  void QueueCommand(protocol::ClientCommand cmd);
  void ProcessNextCommand();
  void RunCommand(protocol::ClientCommand cmd);
  void Subscribe(protocol::ClientCommand cmd);
  void Unsubscribe(protocol::ClientCommand cmd);
  void Perform(protocol::ClientCommand cmd);
  void Whisper(const protocol::ClientCommand& cmd);
  enum class LocalAnswer : uint8_t { kNotLocal, kRejected, kConfirmed };
  LocalAnswer SubscribeLocally(const std::string& identifier);
  // A confirmed subscription the server answered itself, with its stream.
  void AddLocalSubscription(const std::string& identifier, const LocalSubscription& local);
  // `history`: the subscribe command's history request, run once confirmed.
  // `presence`: the subscribe command's presence object, joined once confirmed.
  void CallCommand(CommandRequest request, bool subscribing, std::string history = {},
                   std::string presence = {});
  // True when the reply confirmed a subscription.
  bool ApplyCommandReply(const std::string& identifier, CommandReply& reply, bool subscribing);
  void CommandDone();
  Subscription* FindSubscribed(const protocol::ClientCommand& cmd);
  Subscriptions::HubLink hub_link();

  // session_reliable.cpp
  void History(const std::string& identifier, const std::string& request);
  void SendHistory(const std::string& identifier, Result<std::vector<BroadcastPtr>>& messages);
  void RejectHistory(const std::string& identifier);
  void TryRestore();
  void Restore(SessionSnapshot snapshot, const std::string& from_sid);
  void CommitSnapshot();
  void FinishSnapshot();

  // session_sse.cpp
  void FinishSseSetup();
  void RefuseSse(unsigned status, std::string_view why);

  // session_pusher.cpp
  void HandlePusherEvent(std::string_view text);
  void SubscribePusher(protocol::ClientCommand cmd);
  void ConfirmPusherPresence(const std::string& identifier, std::string presence);

  // session_presence.cpp
  const std::string* PresenceStream(const protocol::ClientCommand& cmd);
  Broker* PresenceBroker();
  void Join(const protocol::ClientCommand& cmd);
  void Leave(const protocol::ClientCommand& cmd);
  void LeaveOnUnsubscribe(const Subscription& sub);
  void QueryPresence(const protocol::ClientCommand& cmd);
  void QueuePresenceChange(const std::string& identifier, const PresenceChange& change);
  void QueueJoinAfterSubscribe(const std::string& identifier, std::string presence);
  void FinishPresence();
  // Runs `cmd` right after the current command, ahead of the client's.
  void QueueNext(protocol::ClientCommand cmd);

  // session_internal.h
  template <typename F>
  void PostBack(F&& f);
  template <typename... Args>
  void LogAboutClient(log::Level level, fmt::format_string<Args...> format, Args&&... args);
  template <typename... Args>
  void WarnAboutClient(fmt::format_string<Args...> format, Args&&... args);

  Node& node_;
  Worker& worker_;
  int fd_ = -1;                 // registered with the worker's poller while open
  uint32_t registry_slot_ = 0;  // index in the worker's list of sessions
  tls::SslPtr ssl_;
  Basics basics_;
  std::unique_ptr<RequestDetails> request_;
  ConnectionSlot connection_slot_;
  State state_ = State::kConnecting;
  // Waiting for the poller to report the socket ready for reading (or,
  // with TLS, for what OpenSSL wants) / for writing.
  bool read_armed_ = false;
  bool write_armed_ = false;
  // The socket may hold input not read yet: an edge came while reading was
  // not armed, or the last read stopped before draining it.
  bool read_ready_ = false;
  bool dirty_ = false;
  uint32_t dirty_slot_ = 0;  // position in the worker's dirty list while dirty_
  bool reading_paused_ = false;
  bool command_running_ = false;
  bool disconnect_interest_ = false;
  bool authenticated_ = false;
  bool requires_pongs_ = false;  // --pong_timeout on the extended protocol
  // Which readiness OpenSSL waits for when a read needs a write (TLS 1.2
  // alerts, 1.3 key updates) or a write a read.
  bool tls_read_wants_write_ = false;
  bool tls_write_wants_read_ = false;
  uint8_t client_warnings_ = 0;
  uint16_t suppressed_warnings_ = 0;
  bool snapshot_too_large_ = false;  // no longer saved for restore (session_reliable.cpp)
  bool in_presence_ = false;
  // SSE: nothing is written until the HTTP status is known (session_sse.cpp).
  bool output_held_ = false;
  bool counted_as_sse_ = false;  // in sse_clients_num
  // Read by RPC controllers on their threads (see cancel_flag()).
  std::atomic<bool> terminated_{false};

  // Interned by the node's identifier tally while authenticated.
  const std::string* identifiers_ = nullptr;
  static inline const std::string kNone;
  // The connection state, allocated once the application sets some (most
  // connections never have any).
  LazyState cstate_;
  const StateMap& cstate() const { return cstate_.get(); }
  Subscriptions subscriptions_;

  Outbox outbox_;
  FrameReader reader_;
  std::vector<protocol::ClientCommand> pending_;
  uint32_t pending_head_ = 0;

  std::unique_ptr<SseStart> sse_start_;  // until the SSE response is answered

  PingSlot ping_slot_;
  std::chrono::steady_clock::time_point write_blocked_since_{};

  friend class Worker;
};

}  // namespace cable::server
