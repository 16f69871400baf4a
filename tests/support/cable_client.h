#pragma once
// Action Cable conventions for integration tests: identifiers, client
// commands, publications, and expectations about what a client receives
// next. Messages are compared the way AnyT compares them: the expected
// object's top-level keys must be present with equal values; other keys
// (such as `sid`) are ignored. Every wait has a deadline; nothing sleeps.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/ws/client.h"
#include "support/cable_server.h"

namespace cable::testing {

using Json = nlohmann::json;

// How long a client waits for a message it expects (AnyT: 5 s).
inline constexpr std::chrono::milliseconds kReceiveTimeout{5000};
// How long a client listens when it expects nothing.
inline constexpr std::chrono::milliseconds kSilenceTimeout{300};

// `{"channel":"<channel>",...params}` as a client sends it.
std::string Identifier(const std::string& channel, const Json& params = Json::object());
// Identifier of AnyT's `Anyt::TestChannels::<name>`.
std::string AnytIdentifier(const std::string& name, const Json& params = Json::object());

std::string SubscribeCommand(const std::string& identifier);
std::string UnsubscribeCommand(const std::string& identifier);
// `message` command; `data` is JSON-encoded into the string field.
std::string PerformCommand(const std::string& identifier, const Json& data);
inline constexpr const char* kPingCommand = R"({"command":"ping"})";

// `{"stream":...,"data":"<payload JSON>"}`.
Json Publication(const std::string& stream, const Json& payload);

// What NextMessage passes over silently.
enum class Skip { kPings, kPingsAndWelcome, kNothing };

// Next text message as JSON. A close frame is Error{codes::kCloseFrame, "<code> <reason>"};
// a message that is not JSON is Error{"not_json", text}.
Result<Json> NextMessage(ws::Client& client, std::chrono::milliseconds timeout = kReceiveTimeout,
                         Skip skip = Skip::kPings);

// True when every top-level key of `expected` is in `actual` with an equal
// value (or, for non-objects, when they are equal).
bool MatchesSubset(const Json& actual, const Json& expected);

// The next message (pings skipped) matches `expected`.
::testing::AssertionResult ReceivesMessage(ws::Client& client, const Json& expected,
                                           std::chrono::milliseconds timeout = kReceiveTimeout,
                                           Skip skip = Skip::kPings);
// The next `expected.size()` messages match `expected` in any order.
::testing::AssertionResult ReceivesMessagesInAnyOrder(
    ws::Client& client, std::vector<Json> expected,
    std::chrono::milliseconds timeout = kReceiveTimeout);
// Nothing but pings arrives within `timeout`.
::testing::AssertionResult ReceivesNothing(ws::Client& client,
                                           std::chrono::milliseconds timeout = kSilenceTimeout);
// The next frame (pings skipped) is a close frame with `code`.
::testing::AssertionResult ReceivesClose(ws::Client& client, uint16_t code,
                                         std::chrono::milliseconds timeout = kReceiveTimeout);
// Sends subscribe and expects confirm_subscription for `identifier`.
::testing::AssertionResult Subscribes(ws::Client& client, const std::string& identifier);
// Sends the `ping` command and expects `pong` as the next message. Commands
// of one session run in order, so this is also a barrier: every command
// sent before it has been applied once the pong arrives.
::testing::AssertionResult Pongs(ws::Client& client);

// Connects and waits for the welcome message.
Result<ws::Client> ConnectWelcomed(const CableServer& server, const std::string& target = "/cable",
                                   std::vector<std::pair<std::string, std::string>> headers = {},
                                   std::vector<std::string> subprotocols = {"actioncable-v1-json"});

// A masked client frame (RFC 6455) with explicit FIN and opcode, for
// SendRaw tests of fragmentation and malformed input.
std::string MaskedFrame(uint8_t opcode, std::string_view payload, bool fin = true);

// hex(HMAC-SHA256(key, message)), computed independently of the server.
std::string HmacSha256Hex(const std::string& key, const std::string& message);

// A plain TCP connection to 127.0.0.1:port (fd, or -1).
int ConnectTcp(int port);
// Waits for the peer to close `fd` (EOF or reset); false on timeout.
// Received bytes are discarded.
bool WaitForTcpClose(int fd, std::chrono::milliseconds timeout);

}  // namespace cable::testing
