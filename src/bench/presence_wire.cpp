#include "bench/presence_wire.h"

#include <charconv>
#include <random>

namespace cable::bench {

namespace {

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

// Parses the decimal digits of `s` from `from` into `out`; returns the
// position after them, or npos when there are none or too many.
size_t ParseDigits(std::string_view s, size_t from, int64_t* out) {
  size_t i = from;
  int64_t v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (i - from >= 10) return std::string_view::npos;
    v = v * 10 + (s[i] - '0');
    ++i;
  }
  if (i == from) return std::string_view::npos;
  *out = v;
  return i;
}

void AppendPresence(std::string& out, std::string_view tag, int client, uint32_t epoch) {
  out.append("\"presence\":{\"id\":\"");
  AppendMemberId(out, tag, client, epoch);
  // Small info, as applications send (a name, an avatar); the client number
  // lets a receiver check the server passed it through unchanged.
  out.append("\",\"info\":{\"n\":");
  AppendInt(out, client);
  out.append("}}");
}

}  // namespace

std::string NewRunTag() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string tag;
  for (int i = 0; i < 6; ++i) tag.push_back(kAlphabet[rd() % (sizeof kAlphabet - 1)]);
  return tag;
}

void AppendMemberId(std::string& out, std::string_view tag, int client, uint32_t epoch) {
  out.append(tag);
  out.push_back('.');
  AppendInt(out, client);
  out.push_back('.');
  AppendInt(out, epoch);
}

IdMatch ParseMemberId(std::string_view id, std::string_view tag, MemberId* out) {
  if (id.size() <= tag.size() || id.substr(0, tag.size()) != tag || id[tag.size()] != '.') {
    return IdMatch::kForeign;
  }
  int64_t client = 0, epoch = 0;
  size_t i = ParseDigits(id, tag.size() + 1, &client);
  if (i == std::string_view::npos || i >= id.size() || id[i] != '.') return IdMatch::kInvalid;
  i = ParseDigits(id, i + 1, &epoch);
  if (i != id.size() || client > INT32_MAX || epoch > UINT32_MAX) return IdMatch::kInvalid;
  out->client = static_cast<int>(client);
  out->epoch = static_cast<uint32_t>(epoch);
  return IdMatch::kOurs;
}

void AppendJoinCommand(std::string& out, std::string_view escaped_identifier, std::string_view tag,
                       int client, uint32_t epoch) {
  out.append("{\"command\":\"join\",\"identifier\":\"");
  out.append(escaped_identifier);
  out.append("\",");
  AppendPresence(out, tag, client, epoch);
  out.push_back('}');
}

void AppendSubscribeWithPresence(std::string& out, std::string_view escaped_identifier,
                                 std::string_view tag, int client, uint32_t epoch) {
  out.append("{\"command\":\"subscribe\",\"identifier\":\"");
  out.append(escaped_identifier);
  out.append("\",");
  AppendPresence(out, tag, client, epoch);
  out.push_back('}');
}

void AppendLeaveCommand(std::string& out, std::string_view escaped_identifier) {
  out.append("{\"command\":\"leave\",\"identifier\":\"");
  out.append(escaped_identifier);
  out.append("\"}");
}

void AppendPresenceQuery(std::string& out, std::string_view escaped_identifier) {
  out.append("{\"command\":\"presence\",\"identifier\":\"");
  out.append(escaped_identifier);
  out.append("\",\"data\":{\"return_records\":true}}");
}

}  // namespace cable::bench
