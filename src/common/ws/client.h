#pragma once
// A small blocking WebSocket client (RFC 6455) with a deadline on every
// operation. Used by `cable conformance` and the integration tests, where
// one client per step is simple and timing is explicit; `cable bench` has
// its own event-driven client.

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

struct ssl_st;

namespace cable::ws {

struct ConnectOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string target = "/cable";  // path and query
  std::vector<std::string> subprotocols = {"actioncable-v1-json"};
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{5000};
  // Largest message accepted from the server; a bigger one is a protocol
  // error instead of unbounded buffering.
  size_t max_message_size = 16 * 1024 * 1024;
  // wss://: TLS 1.2+ with the server certificate checked against `host`
  // and `tls_ca_file` (PEM), else the system trust store. `tls_verify`
  // false accepts any certificate (self-signed test servers). TLS sets
  // SIGPIPE to ignored unless the program handles it (common/sigpipe.h).
  bool tls = false;
  std::string tls_ca_file;
  bool tls_verify = true;
};

// A client frame (RFC 6455: masked with a random key) with explicit FIN and
// opcode; also for tests that send fragments or malformed frames raw.
std::string EncodeClientFrame(uint8_t opcode, std::string_view payload, bool fin = true);

struct Frame {
  enum Kind { kText, kBinary, kClose, kPing, kPong } kind = kText;
  std::string payload;      // text/binary payload, close reason
  uint16_t close_code = 0;  // for kClose (1005 when the frame had no code)
};

class Client {
 public:
  Client() = default;
  ~Client();
  Client(Client&& other) noexcept;
  Client& operator=(Client&& other) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Connects and performs the upgrade. A non-101 answer is an Error with
  // code "http_<status>" (e.g. "http_403").
  static Result<Client> Connect(const ConnectOptions& options);

  int status() const { return status_; }
  const std::string& subprotocol() const { return subprotocol_; }
  // Response header value (case-insensitive name), empty when absent.
  std::string ResponseHeader(const std::string& name) const;

  Status SendText(std::string_view text);
  Status SendBinary(std::string_view data);
  // Writes bytes as they are (for malformed-frame tests).
  Status SendRaw(std::string_view bytes);
  Status SendClose(uint16_t code = 1000, std::string_view reason = {});
  Status SendPing(std::string_view payload = {});

  // Next frame, or Error "timeout" / "closed" (TCP closed without a close
  // frame) / "protocol". Pings from the server are answered automatically
  // and not returned unless `return_control` is set.
  Result<Frame> Receive(std::chrono::milliseconds timeout, bool return_control = false);
  void Close();

 private:
  Status StartTls(const ConnectOptions& options, std::chrono::steady_clock::time_point deadline);
  // send()/recv() or their TLS equivalents. On -1 with errno EAGAIN,
  // `*events` says what to poll for before retrying.
  long RawSend(const char* data, size_t len, short* events);
  long RawRecv(char* buf, size_t size, short* events);
  // Bytes already received and decrypted, so poll() would not see them.
  bool Buffered() const;
  Status WriteAll(std::string_view bytes);
  Status SendFrame(uint8_t opcode, std::string_view payload);
  int fd_ = -1;
  ssl_st* ssl_ = nullptr;
  int status_ = 0;
  std::string subprotocol_;
  std::vector<std::pair<std::string, std::string>> response_headers_;
  std::string buffer_;
  bool tcp_closed_ = false;
  size_t max_message_size_ = 0;
};

}  // namespace cable::ws
