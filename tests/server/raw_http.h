#pragma once
// Raw HTTP over a plain socket, for tests that need what an HTTP client
// library hides: which bytes were sent when (a request head without its
// body), interim `100 Continue` responses, absolute-form request targets,
// and whether the server closed the connection. Every read and write has a
// deadline. Also the server's resident memory, read from /proc.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "support/cable_client.h"

namespace cable::testing {

// One HTTP response as read off the socket.
struct RawResponse {
  int status = 0;     // 0: no complete response head (see `error`)
  std::string head;   // status line and header fields, without the blank line
  std::string body;   // Content-Length bytes of body (none for 1xx and 101)
  std::string error;  // why there is no status: "timeout", "closed", "not HTTP: ..."

  // Value of the first header field called `name` (case-insensitive); empty
  // when absent.
  std::string Header(std::string_view name) const;
};

// A TCP connection to 127.0.0.1 that the test drives byte by byte.
class RawConnection {
 public:
  RawConnection() = default;
  // Connects at once; ok() says whether that worked.
  explicit RawConnection(int port);
  ~RawConnection();
  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&& other) noexcept;
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Writes all of `bytes`; false when the peer is gone or the deadline passes.
  bool Send(std::string_view bytes, std::chrono::milliseconds timeout = kReceiveTimeout);
  // Writes what the socket takes before `timeout` (the peer may stop reading
  // or close); returns the number of bytes written.
  size_t SendSome(std::string_view bytes, std::chrono::milliseconds timeout);
  // The next response. Bytes after it (a body the test did not expect,
  // WebSocket frames after a 101) stay buffered for the next read.
  RawResponse ReadResponse(std::chrono::milliseconds timeout = kReceiveTimeout);
  // True when the server closes the connection (EOF or reset) within
  // `timeout`; what arrives meanwhile is discarded.
  bool WaitForClose(std::chrono::milliseconds timeout = kReceiveTimeout);
  // Bytes received but not yet consumed by ReadResponse.
  const std::string& buffered() const { return buffer_; }
  void Close();

 private:
  // Reads what is available within `timeout`; false on timeout, EOF or error
  // (`*why` says which).
  bool Fill(std::chrono::steady_clock::time_point deadline, std::string* why);

  int fd_ = -1;
  std::string buffer_;
};

// `POST <target> HTTP/1.1` with Host, a JSON Content-Type and the given
// Content-Length, plus `Authorization: Bearer <bearer>` when `bearer` is
// set and `extra` (whole header lines, each ending in CRLF). No body.
std::string PostHead(const std::string& target, size_t content_length,
                     const std::string& bearer = "", const std::string& extra = "");

// A WebSocket upgrade request for `target` (Action Cable subprotocol).
std::string UpgradeRequest(const std::string& target, const std::string& version = "13");

// `{"stream":"<stream>","data":"\"xxx…\""}` padded with x to exactly `size`
// bytes: a valid publication of a chosen length.
std::string PublicationOfSize(const std::string& stream, size_t size);

// `depth` opening brackets then as many closing ones: valid JSON that nests
// `depth` levels.
std::string NestedArrays(size_t depth);

// VmRSS of `pid` in bytes, from /proc/<pid>/status (0 if unreadable).
size_t ResidentBytes(pid_t pid);

}  // namespace cable::testing
