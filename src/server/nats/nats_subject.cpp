#include "server/nats/nats_subject.h"

#include <string_view>

#include "common/auth/base64.h"

namespace cable::server {

namespace {
bool UsableAsSubject(std::string_view s) {
  if (s.empty()) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view token = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (token.empty() || token == "*" || token == ">") return false;
    for (unsigned char c : token) {
      if (c <= ' ' || c == 0x7f) return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}
}  // namespace

std::string NatsSubjectFor(const std::string& stream) {
  if (UsableAsSubject(stream)) return stream;
  return "_ac_subject_=" + auth::Base64UrlEncode(stream);
}

}  // namespace cable::server
