#include "fake_cable_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/auth/base64.h"

namespace cable::testing {

namespace {

std::string AcceptKey(const std::string& key) {
  std::string s = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), digest);
  return auth::Base64Encode(std::string_view(reinterpret_cast<char*>(digest), sizeof digest));
}

std::string Header(const std::string& head, const std::string& name) {
  std::string lower = head;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t pos = lower.find("\r\n" + name + ":");
  if (pos == std::string::npos) return {};
  pos += name.size() + 3;
  size_t end = head.find("\r\n", pos);
  std::string v = head.substr(pos, end - pos);
  while (!v.empty() && v.front() == ' ') v.erase(0, 1);
  while (!v.empty() && v.back() == ' ') v.pop_back();
  return v;
}

void WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      return;
    }
    off += static_cast<size_t>(n);
  }
}

std::string ServerFrame(const std::string& text) {
  std::string f;
  f.push_back(static_cast<char>(0x81));
  if (text.size() < 126) {
    f.push_back(static_cast<char>(text.size()));
  } else if (text.size() <= 0xFFFF) {
    f.push_back(126);
    f.push_back(static_cast<char>(text.size() >> 8));
    f.push_back(static_cast<char>(text.size() & 0xFF));
  } else {
    f.push_back(127);
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((text.size() >> (8 * i)) & 0xFF));
  }
  return f + text;
}

}  // namespace

FakeCableServer::FakeCableServer(FakeFault fault) : fault_(fault) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 1024) != 0) {
    throw std::runtime_error("fake server: cannot listen");
  }
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  if (pipe(wake_) != 0) throw std::runtime_error("fake server: pipe");
  thread_ = std::thread([this] { Run(); });
}

FakeCableServer::~FakeCableServer() {
  stop_.store(true);
  (void)!write(wake_[1], "x", 1);
  thread_.join();
  for (auto& p : peers_) Close(p);
  ::close(listen_fd_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void FakeCableServer::Run() {
  while (!stop_.load()) {
    std::vector<pollfd> fds = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    for (auto& p : peers_) fds.push_back({p.fd, static_cast<short>(p.fd >= 0 ? POLLIN : 0), 0});
    if (poll(fds.data(), fds.size(), RunDue(200)) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd >= 0) {
        Peer peer;
        peer.fd = fd;
        peers_.push_back(std::move(peer));
      }
    }
    for (size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) OnReadable(peers_[i - 2]);
    }
  }
}

std::vector<double> FakeCableServer::restore_times_s() const {
  std::lock_guard lock(restores_mu_);
  return restore_times_s_;
}

void FakeCableServer::Later(int ms, std::function<void()> fn) {
  deferred_.push_back(
      {std::chrono::steady_clock::now() + std::chrono::milliseconds(ms), std::move(fn)});
}

int FakeCableServer::RunDue(int cap) {
  auto now = std::chrono::steady_clock::now();
  std::vector<Deferred> due;
  for (size_t i = 0; i < deferred_.size();) {
    if (deferred_[i].due <= now) {
      due.push_back(std::move(deferred_[i]));
      deferred_.erase(deferred_.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
  for (auto& d : due) d.run();
  int wait = cap;
  for (const auto& d : deferred_) {
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(d.due - now).count();
    wait = std::min<int>(wait, static_cast<int>(std::max<int64_t>(ms, 0)));
  }
  return wait;
}

void FakeCableServer::Close(Peer& p) {
  if (p.fd >= 0) ::close(p.fd);
  p.fd = -1;
}

void FakeCableServer::OnReadable(Peer& p) {
  char buf[65536];
  ssize_t n = recv(p.fd, buf, sizeof buf, 0);
  if (n <= 0) {
    Close(p);
    return;
  }
  p.in.append(buf, static_cast<size_t>(n));
  if (!p.websocket) {
    while (p.fd >= 0 && !p.websocket && HandleHttp(p)) {
    }
  }
  if (p.websocket) HandleFrames(p);
}

// Handles one complete HTTP request from p.in; false when more bytes are needed.
bool FakeCableServer::HandleHttp(Peer& p) {
  size_t end = p.in.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  std::string head = p.in.substr(0, end + 2);
  if (head.rfind("POST ", 0) == 0) {
    size_t length = std::strtoul(Header(head, "content-length").c_str(), nullptr, 10);
    if (p.in.size() < end + 4 + length) return false;
    std::string body = p.in.substr(end + 4, length);
    p.in.erase(0, end + 4 + length);
    auto j = nlohmann::json::parse(body, nullptr, false);
    std::vector<nlohmann::json> items;
    if (j.is_array()) {
      for (auto& e : j) items.push_back(e);
    } else {
      items.push_back(j);
    }
    for (auto& e : items) {
      if (e.is_object() && e.contains("data") && e["data"].is_string()) {
        Broadcast(e["data"].get<std::string>());
      }
    }
    WriteAll(p.fd, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    return true;
  }
  p.in.erase(0, end + 4);
  std::string key = Header(head, "sec-websocket-key");
  WriteAll(p.fd,
           "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Accept: " +
               AcceptKey(key) + "\r\nSec-WebSocket-Protocol: actioncable-v1-json\r\n\r\n");
  p.websocket = true;
  Welcome(p, head);
  return true;
}

// sid "fake-<n>" names peers_[n]; ?sid= of a subscribed peer restores its
// subscription on the new connection.
void FakeCableServer::Welcome(Peer& p, const std::string& head) {
  const auto self = static_cast<size_t>(&p - peers_.data());
  std::string line = head.substr(0, head.find("\r\n"));
  size_t at = line.find("sid=fake-");
  if (fault_.reliable && at != std::string::npos) {
    size_t old = std::strtoul(line.c_str() + at + 9, nullptr, 10);
    if (old < peers_.size() && !peers_[old].identifier.empty()) {
      if (fault_.restore_welcome_delay_ms <= 0) return Restore(self, old);
      return Later(fault_.restore_welcome_delay_ms, [this, self, old] { Restore(self, old); });
    }
  }
  SendText(p, nlohmann::json{{"type", "welcome"}, {"sid", "fake-" + std::to_string(self)}}.dump());
}

void FakeCableServer::Restore(size_t self, size_t old) {
  Peer& p = peers_[self];
  if (p.fd < 0) return;
  p.identifier = peers_[old].identifier;
  subscribers_.push_back(static_cast<int>(self));
  {
    std::lock_guard lock(restores_mu_);
    restore_times_s_.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
  }
  SendText(p, nlohmann::json{{"type", "welcome"},
                             {"sid", "fake-" + std::to_string(self)},
                             {"restored", true},
                             {"restored_ids", {p.identifier}}}
                  .dump());
  if (fault_.kind == FakeFault::kLiveBeforeReplay && !history_.empty()) {
    SendText(p, DataMessage(p, history_.back().data, history_.back().offset));
  }
}

void FakeCableServer::HandleFrames(Peer& p) {
  while (p.in.size() >= 2) {
    auto* b = reinterpret_cast<const unsigned char*>(p.in.data());
    uint64_t len = b[1] & 0x7F;
    size_t pos = 2;
    if (len == 126) {
      if (p.in.size() < 4) return;
      len = (uint64_t{b[2]} << 8) | b[3];
      pos = 4;
    } else if (len == 127) {
      if (p.in.size() < 10) return;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | b[2 + i];
      pos = 10;
    }
    bool masked = b[1] & 0x80;
    size_t need = pos + (masked ? 4 : 0) + len;
    if (p.in.size() < need) return;
    unsigned char mask[4] = {0, 0, 0, 0};
    if (masked) std::memcpy(mask, b + pos, 4);
    std::string payload = p.in.substr(pos + (masked ? 4 : 0), len);
    for (size_t i = 0; i < payload.size(); ++i)
      payload[i] = static_cast<char>(payload[i] ^ mask[i & 3]);
    int opcode = b[0] & 0x0F;
    p.in.erase(0, need);
    if (opcode == 0x8) {
      Close(p);
      return;
    }
    if (opcode == 0x1) HandleCommand(p, payload);
  }
}

void FakeCableServer::HandleCommand(Peer& p, const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return;
  std::string command = j.value("command", "");
  std::string identifier = j.value("identifier", "");
  if (command == "subscribe") {
    p.identifier = identifier;
    subscribers_.push_back(static_cast<int>(&p - peers_.data()));
    SendText(p,
             nlohmann::json{{"identifier", identifier}, {"type", "confirm_subscription"}}.dump());
    if (j.contains("history")) History(p, identifier, j["history"]);
    if (j.contains("presence")) Join(p, j["presence"]);
  } else if (command == "join") {
    Join(p, j.value("presence", nlohmann::json::object()));
  } else if (command == "leave") {
    Leave(p);
  } else if (command == "presence") {
    PresenceInfo(p, identifier);
  } else if (command == "history") {
    History(p, identifier, j.value("history", nlohmann::json::object()));
  } else if (command == "message") {
    auto data = nlohmann::json::parse(j.value("data", ""), nullptr, false);
    if (!data.is_object()) return;
    std::string action = data.value("action", "");
    if (action == "broadcast") {
      Broadcast(data.dump());
      data["action"] = "broadcastResult";
      SendText(p, nlohmann::json{{"identifier", identifier}, {"message", data}}.dump());
    } else if (action == "echo") {
      SendText(p, nlohmann::json{{"identifier", identifier}, {"message", data}}.dump());
    }
  }
}

// Replays what came after the stream's offset in the same epoch, then
// confirm_history; reject_history for another epoch or no reliability.
void FakeCableServer::History(Peer& p, const std::string& identifier,
                              const nlohmann::json& request) {
  auto reply = [&](const char* type) {
    std::string text = nlohmann::json{{"identifier", identifier}, {"type", type}}.dump();
    if (fault_.confirm_history_delay_ms <= 0 || std::string_view(type) != "confirm_history") {
      return SendText(p, text);
    }
    const auto self = static_cast<size_t>(&p - peers_.data());
    Later(fault_.confirm_history_delay_ms, [this, self, text] { SendText(peers_[self], text); });
  };
  if (!fault_.reliable) return reply("reject_history");
  uint64_t after = 0;
  if (request.contains("streams")) {
    const auto& all = request["streams"].value("all", nlohmann::json::object());
    if (all.value("epoch", "") != epoch_) return reply("reject_history");
    after = all.value("offset", uint64_t{0});
  }
  bool skip = fault_.kind == FakeFault::kSkipReplay;
  for (const Stored& m : history_) {
    if (m.offset <= after) continue;
    if (skip) {
      skip = false;
      continue;
    }
    SendText(p, DataMessage(p, m.data, m.offset));
  }
  reply("confirm_history");
}

std::string FakeCableServer::DataMessage(const Peer& p, const std::string& data,
                                         uint64_t offset) const {
  std::string text =
      R"({"identifier":)" + nlohmann::json(p.identifier).dump() + R"(,"message":)" + data;
  if (fault_.reliable) {
    text += R"(,"stream_id":"all","epoch":")" + epoch_ + R"(","offset":)" + std::to_string(offset);
  }
  return text + "}";
}

void FakeCableServer::Broadcast(const std::string& data) {
  int index = broadcasts_.fetch_add(1);
  if (fault_.kind == FakeFault::kNewEpoch && index == fault_.broadcast) {
    epoch_ = "ep2";
    offset_ = 0;
    history_.clear();
  }
  ++offset_;
  if (fault_.reliable) history_.push_back({offset_, data});
  for (size_t s = 0; s < subscribers_.size(); ++s) {
    Peer& p = peers_[static_cast<size_t>(subscribers_[s])];
    if (p.fd < 0) continue;
    std::string text = DataMessage(p, data, offset_);
    bool targeted = index == fault_.broadcast && static_cast<int>(s) == fault_.subscriber;
    if (targeted && fault_.kind == FakeFault::kDrop) continue;
    SendText(p, text);
    if (targeted && fault_.kind == FakeFault::kDuplicate) SendText(p, text);
  }
}

void FakeCableServer::Join(Peer& p, const nlohmann::json& presence) {
  const std::string id = presence.value("id", "");
  if (id.empty() || !p.presence_id.empty()) return;
  p.presence_id = id;
  p.presence_info = presence.value("info", nlohmann::json());
  PresenceEvent(p.identifier, {{"type", "join"}, {"info", p.presence_info}, {"id", id}});
}

void FakeCableServer::Leave(Peer& p) {
  if (p.presence_id.empty()) return;
  std::string id;
  id.swap(p.presence_id);
  PresenceEvent(p.identifier, {{"type", "leave"}, {"id", id}});
}

void FakeCableServer::PresenceEvent(const std::string& identifier, nlohmann::json message) {
  const int n = presence_events_++;
  const bool faulty = n == fault_.broadcast;
  if (faulty && fault_.kind == FakeFault::kPresenceBadInfo && message.contains("info")) {
    message["info"] = {{"n", -1}};
  }
  const std::string text =
      nlohmann::json{{"type", "presence"}, {"identifier", identifier}, {"message", message}}.dump();
  for (size_t i = 0; i < subscribers_.size(); ++i) {
    Peer& s = peers_[static_cast<size_t>(subscribers_[i])];
    if (s.fd < 0 || s.identifier != identifier) continue;
    const bool target = faulty && static_cast<int>(i) == fault_.subscriber;
    if (target && fault_.kind == FakeFault::kPresenceDrop) continue;
    SendText(s, text);
    if (target && fault_.kind == FakeFault::kPresenceDuplicate) SendText(s, text);
  }
  if (faulty && fault_.kind == FakeFault::kPresenceGhostLeave) {
    PresenceEvent(identifier, {{"type", "leave"}, {"id", message.value("id", "")}});
  }
}

void FakeCableServer::PresenceInfo(Peer& p, const std::string& identifier) {
  nlohmann::json records = nlohmann::json::array();
  for (int i : subscribers_) {
    const Peer& s = peers_[static_cast<size_t>(i)];
    if (s.fd >= 0 && s.identifier == identifier && !s.presence_id.empty()) {
      records.push_back({{"info", s.presence_info}, {"id", s.presence_id}});
    }
  }
  nlohmann::json message = {{"type", "info"}, {"total", records.size()}, {"records", records}};
  SendText(p, nlohmann::json{{"type", "presence"}, {"identifier", identifier}, {"message", message}}
                  .dump());
}

void FakeCableServer::SendText(Peer& p, const std::string& text) {
  if (p.fd >= 0) WriteAll(p.fd, ServerFrame(text));
}

}  // namespace cable::testing
