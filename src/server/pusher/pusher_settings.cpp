#include "server/pusher/pusher_settings.h"

#include <fmt/format.h>

#include <chrono>
#include <random>

#include "server/protocol/json_writer.h"

namespace cable::server::pusher {

namespace {
constexpr size_t kMaxRequestId = 128;

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}
}  // namespace

ChannelKind KindOf(std::string_view channel) {
  if (channel.starts_with("presence-")) return ChannelKind::kPresence;
  if (channel.starts_with("private-")) return ChannelKind::kPrivate;
  return ChannelKind::kPublic;
}

std::string Identifier(std::string_view channel) {
  std::string out = R"({"channel":"$pusher","stream":)";
  protocol::AppendJsonString(out, channel);
  out += '}';
  return out;
}

std::string SocketId(std::string_view request_id) {
  if (request_id.size() <= kMaxRequestId) {
    const size_t dot = request_id.find('.');
    if (dot != std::string_view::npos && AllDigits(request_id.substr(0, dot)) &&
        AllDigits(request_id.substr(dot + 1))) {
      return std::string(request_id);
    }
  }
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> part(0, 999999);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return fmt::format("{}.{}", now, part(rng));
}

bool IsWebSocketPath(std::string_view path, std::string_view app_key) {
  return path.starts_with("/app/") && path.substr(5) == app_key;
}

bool IsApiPath(std::string_view path, std::string_view app_id) {
  if (!path.starts_with("/apps/")) return false;
  path.remove_prefix(6);
  return path.size() > app_id.size() && path.starts_with(app_id) && path[app_id.size()] == '/';
}

std::string ConnectionIdentifiers(std::string_view socket_id) {
  std::string out = R"({"sid":)";
  protocol::AppendJsonString(out, socket_id);
  out += '}';
  return out;
}

}  // namespace cable::server::pusher
