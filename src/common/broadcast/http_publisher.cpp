#include "common/broadcast/http_publisher.h"

#include <fmt/format.h>

#include "common/broadcast/broadcast_key.h"

namespace cable::broadcast {
namespace {

// Error bodies are quoted into messages; a few hundred bytes is enough to show
// a server's complaint without flooding a terminal.
constexpr size_t kMaxQuotedBody = 200;

std::string Snippet(const std::string& body) {
  std::string s = body.substr(0, kMaxQuotedBody);
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  if (body.size() > kMaxQuotedBody) s += "...";
  return s;
}

}  // namespace

HttpPublisher::HttpPublisher(http::Url url, std::string broadcast_key, http::ClientOptions options,
                             std::string key_name)
    : url_(std::move(url)),
      key_(IsDisabledKey(broadcast_key) ? std::string() : std::move(broadcast_key)),
      key_name_(std::move(key_name)),
      client_(url_, std::move(options)) {}

Status HttpPublisher::PublishRaw(const std::string& body) {
  http::Headers headers{{"Content-Type", "application/json"}};
  if (!key_.empty()) headers.emplace_back("Authorization", "Bearer " + key_);
  auto res = client_.Send("POST", url_.target, body, headers);
  if (!res) return res.error();
  const int status = res->status;
  if (status >= 200 && status < 300) return Status::Ok();
  if (status == 401) {
    return Error{"unauthorized",
                 key_name_ + (key_.empty() ? " required (401)" : " rejected (401)")};
  }
  std::string message = fmt::format("server answered {} {}", status, res->reason);
  if (!res->body.empty()) message += ": " + Snippet(res->body);
  return Error{"http_status", message};
}

}  // namespace cable::broadcast
