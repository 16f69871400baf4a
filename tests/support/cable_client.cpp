#include "support/cable_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace cable::testing {

namespace {
using Clock = std::chrono::steady_clock;

std::chrono::milliseconds Left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? std::chrono::milliseconds(0) : left;
}

bool Skipped(const Json& message, Skip skip) {
  if (skip == Skip::kNothing || !message.is_object()) return false;
  auto type = message.find("type");
  if (type == message.end() || !type->is_string()) return false;
  if (*type == "ping") return true;
  return skip == Skip::kPingsAndWelcome && *type == "welcome";
}
}  // namespace

std::string Identifier(const std::string& channel, const Json& params) {
  Json id = Json::object();
  id["channel"] = channel;
  for (auto it = params.begin(); it != params.end(); ++it) id[it.key()] = it.value();
  return id.dump();
}

std::string AnytIdentifier(const std::string& name, const Json& params) {
  return Identifier("Anyt::TestChannels::" + name, params);
}

std::string SubscribeCommand(const std::string& identifier) {
  return Json{{"command", "subscribe"}, {"identifier", identifier}}.dump();
}

std::string UnsubscribeCommand(const std::string& identifier) {
  return Json{{"command", "unsubscribe"}, {"identifier", identifier}}.dump();
}

std::string PerformCommand(const std::string& identifier, const Json& data) {
  return Json{{"command", "message"}, {"identifier", identifier}, {"data", data.dump()}}.dump();
}

Json Publication(const std::string& stream, const Json& payload) {
  return Json{{"stream", stream}, {"data", payload.dump()}};
}

Result<Json> NextMessage(ws::Client& client, std::chrono::milliseconds timeout, Skip skip) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    auto frame = client.Receive(Left(deadline));
    if (!frame.ok()) return frame.error();
    if (frame->kind == ws::Frame::kClose) {
      return Error{codes::kCloseFrame, std::to_string(frame->close_code) + " " + frame->payload};
    }
    if (frame->kind != ws::Frame::kText) {
      return Error{"binary", "unexpected binary frame of " + std::to_string(frame->payload.size()) +
                                 " bytes"};
    }
    Json message = Json::parse(frame->payload, nullptr, false);
    if (message.is_discarded()) return Error{"not_json", frame->payload};
    if (Skipped(message, skip)) continue;
    return message;
  }
}

bool MatchesSubset(const Json& actual, const Json& expected) {
  if (!expected.is_object()) return actual == expected;
  if (!actual.is_object()) return false;
  for (auto it = expected.begin(); it != expected.end(); ++it) {
    auto found = actual.find(it.key());
    if (found == actual.end() || *found != it.value()) return false;
  }
  return true;
}

::testing::AssertionResult ReceivesMessage(ws::Client& client, const Json& expected,
                                           std::chrono::milliseconds timeout, Skip skip) {
  auto message = NextMessage(client, timeout, skip);
  if (!message.ok()) {
    return ::testing::AssertionFailure() << "expected " << expected.dump() << " but got "
                                         << message.error().code << ": " << message.error().message;
  }
  if (!MatchesSubset(*message, expected)) {
    return ::testing::AssertionFailure()
           << "expected " << expected.dump() << " but got " << message->dump();
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult ReceivesMessagesInAnyOrder(ws::Client& client,
                                                      std::vector<Json> expected,
                                                      std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string seen;
  while (!expected.empty()) {
    auto message = NextMessage(client, Left(deadline));
    if (!message.ok()) {
      std::string missing;
      for (const auto& e : expected) missing += e.dump() + " ";
      return ::testing::AssertionFailure()
             << "still waiting for " << missing << "after [" << seen << "]; got "
             << message.error().code << ": " << message.error().message;
    }
    seen += message->dump() + " ";
    bool matched = false;
    for (size_t i = 0; i < expected.size() && !matched; ++i) {
      if (MatchesSubset(*message, expected[i])) {
        expected.erase(expected.begin() + static_cast<std::ptrdiff_t>(i));
        matched = true;
      }
    }
    if (!matched) return ::testing::AssertionFailure() << "unexpected message " << message->dump();
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult ReceivesNothing(ws::Client& client, std::chrono::milliseconds timeout) {
  auto message = NextMessage(client, timeout);
  if (message.ok()) {
    return ::testing::AssertionFailure() << "expected nothing but got " << message->dump();
  }
  if (!message.error().IsTimeout()) {
    return ::testing::AssertionFailure() << "expected nothing but got " << message.error().code
                                         << ": " << message.error().message;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult ReceivesClose(ws::Client& client, uint16_t code,
                                         std::chrono::milliseconds timeout) {
  auto message = NextMessage(client, timeout);
  if (message.ok()) {
    return ::testing::AssertionFailure()
           << "expected close " << code << " but got message " << message->dump();
  }
  if (!message.error().IsCloseFrame()) {
    return ::testing::AssertionFailure() << "expected close " << code << " but got "
                                         << message.error().code << ": " << message.error().message;
  }
  if (message.error().message.rfind(std::to_string(code) + " ", 0) != 0) {
    return ::testing::AssertionFailure()
           << "expected close " << code << " but got close " << message.error().message;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Subscribes(ws::Client& client, const std::string& identifier) {
  if (auto s = client.SendText(SubscribeCommand(identifier)); !s.ok()) {
    return ::testing::AssertionFailure() << "subscribe not sent: " << s.error().message;
  }
  return ReceivesMessage(client, {{"type", "confirm_subscription"}, {"identifier", identifier}});
}

::testing::AssertionResult Pongs(ws::Client& client) {
  if (auto s = client.SendText(kPingCommand); !s.ok()) {
    return ::testing::AssertionFailure() << "ping not sent: " << s.error().message;
  }
  return ReceivesMessage(client, {{"type", "pong"}});
}

Result<ws::Client> ConnectWelcomed(const CableServer& server, const std::string& target,
                                   std::vector<std::pair<std::string, std::string>> headers,
                                   std::vector<std::string> subprotocols) {
  auto client = server.Connect(target, std::move(headers), std::move(subprotocols));
  if (!client.ok()) return client.error();
  auto welcome = NextMessage(*client);
  if (!welcome.ok())
    return Error{"no_welcome", welcome.error().code + ": " + welcome.error().message};
  if (!MatchesSubset(*welcome, {{"type", "welcome"}})) {
    return Error{"no_welcome", "first message is " + welcome->dump()};
  }
  return std::move(client.value());
}

std::string MaskedFrame(uint8_t opcode, std::string_view payload, bool fin) {
  return ws::EncodeClientFrame(opcode, payload, fin);
}

std::string HmacSha256Hex(const std::string& key, const std::string& message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

int ConnectTcp(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool WaitForTcpClose(int fd, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    pollfd p{fd, POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(Left(deadline).count()));
    if (rc == 0) return false;
    if (rc < 0) {
      if (errno == EINTR) continue;
      return true;
    }
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0 && errno != EAGAIN && errno != EINTR) return true;
  }
}

}  // namespace cable::testing
