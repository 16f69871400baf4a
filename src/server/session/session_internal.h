#pragma once
// Templates shared by the three files that implement Session; included by
// them only.

#include <boost/asio/post.hpp>
#include <cstdint>
#include <string_view>

#include "common/log.h"
#include "server/session/session.h"
#include "server/worker.h"

namespace cable::server {

// Warnings logged per session about its input; later ones are counted.
inline constexpr uint8_t kMaxClientWarnings = 5;

// The close reason of a failed authentication (and, for SSE, what makes
// the refusal a 401).
inline constexpr std::string_view kAuthFailed = "Auth Failed";

// The HTTP status an SSE request gets when its session closes before the
// response was answered (session_sse.cpp).
unsigned SseRefusalStatus(uint16_t close_code, std::string_view close_reason);

// Runs `f` on this session's worker, after the current event.
template <typename F>
void Session::PostBack(F&& f) {
  boost::asio::post(worker_.context(), std::forward<F>(f));
}

// Lines caused by what a client sends (ignored frames, unknown
// subscriptions, commands the application failed): the first few are
// logged, the rest counted and summed up when the session ends, so a client
// cannot turn its input into log volume (one line per ignored frame would
// let a few bytes of input write a whole line each).
template <typename... Args>
void Session::LogAboutClient(log::Level level, fmt::format_string<Args...> format, Args&&... args) {
  if (!log::Enabled(level)) return;
  if (client_warnings_ >= kMaxClientWarnings) {
    if (suppressed_warnings_ < UINT16_MAX) ++suppressed_warnings_;
    return;
  }
  ++client_warnings_;
  log::Write(level, fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
void Session::WarnAboutClient(fmt::format_string<Args...> format, Args&&... args) {
  LogAboutClient(log::Level::kWarn, format, std::forward<Args>(args)...);
}

}  // namespace cable::server
