// JSON encodings of publications and remote commands. Keys are written in the
// order AnyCable's own SDKs use so that captured bodies read naturally and
// tests can compare them byte for byte.

#include <nlohmann/json.hpp>

#include "common/broadcast/publisher.h"

namespace cable::broadcast {
namespace {

// Invalid UTF-8 is replaced rather than thrown on: a broadcast tool should not
// abort on a stray byte coming from stdin.
std::string Quote(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void AppendPublication(std::string& out, const Publication& p) {
  out += "{\"stream\":";
  out += Quote(p.stream);
  out += ",\"data\":";
  out += Quote(p.data);
  if (p.exclude_socket || p.transient) {
    out += ",\"meta\":{";
    if (p.exclude_socket) {
      out += "\"exclude_socket\":";
      out += Quote(*p.exclude_socket);
    }
    if (p.transient) out += p.exclude_socket ? ",\"transient\":true" : "\"transient\":true";
    out += '}';
  }
  out += '}';
}

}  // namespace

std::string ToJson(const Publication& publication) {
  std::string out;
  out.reserve(publication.stream.size() + publication.data.size() + 32);
  AppendPublication(out, publication);
  return out;
}

std::string ToJson(const std::vector<Publication>& batch) {
  std::string out = "[";
  for (size_t i = 0; i < batch.size(); ++i) {
    if (i > 0) out += ',';
    AppendPublication(out, batch[i]);
  }
  out += ']';
  return out;
}

std::string ToJson(const RemoteDisconnect& command) {
  std::string out = "{\"command\":\"disconnect\",\"payload\":{\"identifier\":";
  out += Quote(command.identifiers);
  out += ",\"reconnect\":";
  out += command.reconnect ? "true" : "false";
  out += "}}";
  return out;
}

}  // namespace cable::broadcast
