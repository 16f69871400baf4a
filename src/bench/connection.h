#pragma once
// One simulated Action Cable client: a non-blocking TCP socket driven by
// its loop through connect, upgrade, welcome, subscribe and then the
// message phase.
//
// Reads are readiness-based (the loop's epoll reports the socket, one
// non-blocking recv goes into the loop's shared buffer), so an idle client
// owns no read buffer at all and a busy one never copies a message unless
// it straddles two reads. Frames are parsed in place and handed to the loop
// as views. Writes go straight to the socket; only the rare partial write
// is buffered (and only then is write interest registered).
//
// wss://: after the TCP connect an OpenSSL session on the same fd runs its
// handshake on readiness events; reads and writes then go through
// SSL_read/SSL_write. Plain connections only test a null pointer.
//
// Reconnect scenario: a client planned to rejoin drops its connection
// abortively mid-run, connects again with ?sid=<its last sid>, and asks for
// what it missed — with `history` when the welcome says the session was
// restored, or by subscribing again with a `history` request otherwise.
//
// Presence scenario: a member connects without subscribing; its loop's
// PresenceDriver subscribes and joins it later, and may drop it and dial
// again (a new session, no ?sid=).
//
// All methods run on the owning loop's thread.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "bench/position_tracker.h"
#include "bench/presence_member.h"
#include "bench/rejoin.h"
#include "bench/seq_tracker.h"

struct ssl_st;

namespace cable::bench {

class Loop;
struct ScannedMessage;
namespace script {
class ScriptClient;
}  // namespace script

class Connection {
 public:
  enum class State : uint8_t {
    kIdle,
    kConnecting,
    kTlsHandshake,
    kUpgrading,
    kWelcoming,
    kSubscribing,
    kReady,
    kClosed
  };

  Connection(Loop& loop, int client, int stream);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Begins the TCP connect; the loop hears back through its On* callbacks.
  void Start(int64_t now_ns);
  // Readiness reported by the loop's epoll (EPOLLIN, EPOLLOUT, ...).
  void OnEvent(uint32_t events);
  // Sends one text message (framed and masked). False when the connection
  // is gone.
  bool SendText(std::string_view payload);
  // Closes without a WebSocket close handshake (abortive: no TIME_WAIT
  // left behind by a 10k-client run).
  void Abort();
  // Gives up on a handshake that is taking too long.
  void TimeOut();

  State state() const { return state_; }
  bool ready() const { return state_ == State::kReady; }
  int client() const { return client_; }
  int stream() const { return stream_; }
  int64_t start_ns() const { return start_ns_; }

  SeqTracker& seq() { return seq_; }
  const SeqTracker& seq() const { return seq_; }
  PositionTracker& positions() { return positions_; }

  // --- Reconnect scenario ---
  // Makes this one of the clients that drop and come back.
  void PlanRejoin() { rejoin_ = std::make_unique<Rejoin>(); }
  // Closes abortively (RST), as a network failure would; the loop does not
  // count it as a lost client.
  void Drop();
  // Connects again, asking the server to restore the session.
  void Reconnect(int64_t now_ns);
  Rejoin* rejoin() { return rejoin_.get(); }
  bool rejoins() const { return rejoin_ != nullptr; }
  // The handshake of a reconnect is under way.
  bool reconnecting() const { return rejoin_ && rejoin_->phase == Rejoin::Phase::kReconnecting; }
  // The replay is under way: deliveries are held until it ends.
  bool recovering() const { return rejoin_ && rejoin_->phase == Rejoin::Phase::kRecovering; }
  // --- Presence scenario ---
  void PlanPresence(bool churns) {
    presence_ = std::make_unique<PresenceMember>();
    presence_->churns = churns;
  }
  PresenceMember* presence() { return presence_.get(); }
  const PresenceMember* presence() const { return presence_.get(); }
  // Sends a subscribe command (a member is not subscribed by the connect
  // phase); the confirmation goes to the loop's PresenceDriver.
  void Subscribe(std::string_view command);
  // Connects again as a new session (after Abort()).
  void Redial(int64_t now_ns);
  // A second connection's handshake (reconnect or presence redial): not
  // part of the connect phase's figures.
  bool redialing() const {
    return reconnecting() || (presence_ && presence_->phase == PresenceMember::Phase::kRedialing);
  }
  // --- Scripted runs (`cable bench run`) ---
  // The script client drives this connection: its upgrade request, and
  // every message after the welcome but pings and disconnects.
  void AttachScript(script::ScriptClient* s) { script_ = s; }
  script::ScriptClient* script() { return script_; }
  // Echo sequence numbers this client has sent.
  uint32_t sent = 0;
  // Subscribed when publishing began, so every message to its stream is
  // expected to arrive.
  bool measured = false;

 private:
  void OnConnected();
  std::string UpgradeRequest() const;
  bool SendUpgradeAtOnce();
  void SendUpgrade();
  void ContinueTlsHandshake();
  void OnReadable();
  // recv()/send() or, with TLS, SSL_read()/SSL_write() with the same
  // conventions (-1 and errno EAGAIN when the socket is not ready).
  long Recv(char* buf, size_t size);
  long Send(const char* data, size_t size);
  // Consumes complete frames (or the upgrade response) from data[0, size);
  // returns the bytes used. May close the connection.
  size_t Consume(char* data, size_t size);
  size_t ConsumeUpgrade(char* data, size_t size);
  size_t ConsumeFrames(char* data, size_t size);
  void OnMessage(std::string_view payload);
  void OnWelcome(const ScannedMessage& m);
  // The welcome of a reconnect: restored or not, ask for the missed messages.
  void OnRewelcome(const ScannedMessage& m);
  void SendHistoryCommand(std::string_view command);
  bool SendRaw(const char* data, size_t size);
  void OnWritable();
  // Handshake failure (never became ready) or loss after ready.
  void End(std::string_view reason);

  int fd_ = -1;
  ssl_st* ssl_ = nullptr;
  Loop& loop_;
  int client_;
  int stream_;
  State state_ = State::kIdle;
  bool want_write_ = false;  // EPOLLOUT registered
  int64_t start_ns_ = 0;
  std::string carry_;     // bytes of an incomplete frame from the previous read
  std::string out_;       // bytes the socket did not take yet
  std::string fragment_;  // a fragmented message being reassembled (rare)
  SeqTracker seq_;
  PositionTracker positions_;
  std::unique_ptr<Rejoin> rejoin_;            // reconnect scenario clients only
  std::unique_ptr<PresenceMember> presence_;  // presence scenario clients only
  script::ScriptClient* script_ = nullptr;    // scripted runs only
};

}  // namespace cable::bench
