#pragma once
// Errors as values for paths where failure is normal (bad input, unreachable
// peers). An Error carries a machine-usable code and a human sentence.
//
// Results are [[nodiscard]]: a failure dropped on purpose says so with
// IgnoreError() and, next to it, why.

#include <string>
#include <utility>
#include <variant>

namespace cable {

// The codes that code branches on. Test them with Error's predicates
// (`error.IsTimeout()`), never by comparing strings, and produce them with
// these constants, so that a typo does not compile. Codes that are only
// reported (printed, logged, put in a report) may be written inline.
namespace codes {
inline constexpr const char* kTimeout = "timeout";          // a deadline passed
inline constexpr const char* kClosed = "closed";            // the peer closed the connection
inline constexpr const char* kCloseFrame = "close";         // a WebSocket close frame arrived
inline constexpr const char* kUnreachable = "unreachable";  // no connection could be made
inline constexpr const char* kIoError = "io_error";         // a read or write failed
inline constexpr const char* kRedisError = "redis_error";   // Redis answered with an error
inline constexpr const char* kWoken = "woken";              // a wait was interrupted on purpose
inline constexpr const char* kIgnored = "ignored";          // input to skip without a reply
inline constexpr const char* kUsage = "usage";              // bad flags or settings
inline constexpr const char* kExited = "exited";            // a child process exited
inline constexpr const char* kStepFailed = "step_failed";   // a backend handler step failed
inline constexpr const char* kTls = "tls";                  // a TLS handshake or certificate failed
inline constexpr const char* kTooLarge = "too_large";       // a reply over the size limit
}  // namespace codes

// "http_404": the code of an HTTP exchange answered with that status.
inline std::string HttpStatusCode(int status) {
  return "http_" + std::to_string(status);
}

struct Error {
  std::string code;     // short, stable, machine-readable (e.g. "token_expired")
  std::string message;  // one human sentence

  bool IsTimeout() const { return code == codes::kTimeout; }
  bool IsClosed() const { return code == codes::kClosed; }
  bool IsCloseFrame() const { return code == codes::kCloseFrame; }
  bool IsUnreachable() const { return code == codes::kUnreachable; }
  bool IsIoError() const { return code == codes::kIoError; }
  bool IsRedisError() const { return code == codes::kRedisError; }
  bool IsWoken() const { return code == codes::kWoken; }
  bool IsIgnored() const { return code == codes::kIgnored; }
  bool IsUsage() const { return code == codes::kUsage; }
  bool IsExited() const { return code == codes::kExited; }
  bool IsStepFailed() const { return code == codes::kStepFailed; }
  bool IsTls() const { return code == codes::kTls; }
  bool IsTooLarge() const { return code == codes::kTooLarge; }
  // The status of an HttpStatusCode() error; 0 for any other code.
  int HttpStatus() const {
    if (code.size() < 6 || code.compare(0, 5, "http_") != 0) return 0;
    int status = 0;
    for (size_t i = 5; i < code.size(); ++i) {
      if (code[i] < '0' || code[i] > '9' || status > 99) return 0;
      status = status * 10 + (code[i] - '0');
    }
    return status;
  }
};

// Holds either a value or an Error. Deliberately tiny: no exceptions, no
// implicit conversions beyond construction from T or Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }

  const Error& error() const { return std::get<1>(v_); }
  // Drops the result on purpose (say why next to the call).
  void IgnoreError() const {}

 private:
  std::variant<T, Error> v_;
};

// Result for operations that produce nothing but may fail.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}
  static Status Ok() { return Status(); }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }
  // Drops the status on purpose (say why next to the call).
  void IgnoreError() const {}

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace cable
