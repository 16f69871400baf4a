#pragma once
// The scenario model: what scenario files compile to (docs/conformance.md).
// Plain data, immutable once loaded; the executor only reads it.

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/yaml/position.h"
#include "conformance/pattern.h"
#include "conformance/value.h"

namespace cable::conformance {

using Millis = std::chrono::milliseconds;

// Where something was written, for messages.
using Position = yaml::Position;

// An Action Cable identifier: a template string sent as written, or a
// mapping ({channel, ...params}) sent as compact JSON in the written order.
struct IdentifierSpec {
  Value value;
  Result<std::string> Render(const RenderContext& ctx) const;
};

enum class TokenPlace { kQuery, kHeader, kSubprotocol };

// A JWT for the connection, minted at connect time.
struct TokenSpec {
  std::optional<Value> identifiers;   // object -> compact JSON; string -> as is
  std::optional<TextTemplate> raw;    // a literal token instead
  std::optional<int64_t> expires_in;  // seconds from now (negative: expired); none: no exp
  std::string algorithm = "HS256";
  std::optional<TextTemplate> secret;  // default: the runner's JWT secret
  TokenPlace place = TokenPlace::kQuery;
  std::string param = "jid";  // query parameter, or header X-<param>
};

struct ConnectStep {
  std::optional<TextTemplate> path;                  // default: the target URL's path
  std::vector<std::pair<std::string, Value>> query;  // values rendered as text
  std::optional<TextTemplate> raw_query;
  std::vector<std::pair<std::string, TextTemplate>> headers;
  std::vector<std::pair<std::string, TextTemplate>> cookies;
  std::optional<std::vector<std::string>> subprotocols;  // default: actioncable-v1-json
  std::optional<TokenSpec> token;
  std::optional<Pattern> welcome;          // none: do not wait for a welcome
  int status = 101;                        // expected HTTP status of the upgrade
  std::optional<std::string> subprotocol;  // expected negotiated subprotocol ("" = none)
  std::optional<Millis> timeout;
};

struct SendStep {
  enum class Kind { kText, kJson, kBinary, kBytes };
  Kind kind = Kind::kText;
  Value value;        // kText (a text template), kJson, kBinary
  std::string bytes;  // kBytes: written to the socket as they are
  int repeat = 1;     // kText/kBinary: the payload repeated in one frame
};

struct SubscribeStep {
  enum class Expect { kConfirm, kReject, kNone };
  IdentifierSpec id;
  Expect expect = Expect::kConfirm;
  std::optional<Value> history;   // extended protocol: `history` sent with the subscribe
  std::optional<Value> presence;  // `presence` sent with the subscribe: join once confirmed
  std::optional<Millis> timeout;
};

struct UnsubscribeStep {
  IdentifierSpec id;
  bool sync = true;  // follow with a sync round trip (there is no unsubscribe ack)
};

struct PerformStep {
  IdentifierSpec id;
  std::optional<TextTemplate> action;
  std::vector<std::pair<std::string, Value>> data;  // merged after `action`
  std::optional<Value> raw_data;                    // sent as `data` unencoded (malformed input)
};

struct WhisperStep {
  IdentifierSpec id;
  Value data;
};

// Presence commands (extended protocol). `join` sends
// {"command":"join","identifier":..,"presence":{"id":..,"info":..}}: `id`
// and `info` as written (either may be left out), or `presence` as a whole
// value (malformed input).
struct JoinStep {
  IdentifierSpec id;
  std::optional<Value> presence_id;
  std::optional<Value> info;
  std::optional<Value> presence;  // replaces presence_id and info
};

struct LeaveStep {
  IdentifierSpec id;
};

// The `presence` query; its answer is received by a later step.
struct PresenceStep {
  IdentifierSpec id;
  Value data;  // default {return_records: true}
};

// A round trip that the server answers only after every earlier command of
// this connection: a subscribe to a channel that does not exist, answered
// by confirm or reject.
struct SyncStep {
  std::optional<Millis> timeout;
};

struct ReceiveStep {
  std::vector<Pattern> frames;
  bool any_order = false;
  bool exact = false;
  std::optional<Millis> timeout;
};

struct ExpectNothingStep {
  std::optional<Millis> duration;
};

struct ExpectCloseStep {
  std::optional<int> code;
  std::optional<TextTemplate> reason;
  std::optional<Pattern> disconnect;  // a disconnect message must precede the close
  bool allow_drop = false;            // a TCP close without a close frame is enough
  std::optional<Millis> timeout;
};

struct PublicationSpec {
  Value stream;
  Value data;             // JSON-encoded into the publication's data
  bool raw_data = false;  // data is already the publication's data string
  std::optional<Value> exclude_socket;
};

struct BroadcastStep {
  std::vector<PublicationSpec> publications;
  bool batch = false;                       // one JSON array instead of one publication each
  std::optional<TextTemplate> body;         // a raw publication body instead
  std::optional<std::string> adapter;       // default: the runner's --broadcast-adapter
  std::optional<TextTemplate> key;          // HTTP bearer key override
  std::optional<std::string> expect_error;  // the publish must fail with this code
  int repeat = 1;
};

// A request to the target's HTTP side (the REST API): sent, then the answer
// checked. The origin and the `api` key come from the runner (--api-url,
// --api-key).
struct HttpStep {
  enum class Auth { kApi, kNone, kKey };
  std::string method;  // GET, or POST when there is a body, unless written
  TextTemplate path;   // from the root of the origin, with the query if any
  std::vector<std::pair<std::string, TextTemplate>> headers;
  Auth auth = Auth::kApi;
  std::optional<TextTemplate> key;   // Auth::kKey
  std::optional<TextTemplate> body;  // sent as is
  std::optional<Value> json;         // sent as compact JSON
  Pattern status;                    // default: any 2xx
  std::optional<Pattern> expect_json;
  std::optional<Pattern> expect_body;
  std::vector<std::pair<std::string, Pattern>> expect_headers;  // names compared case-insensitively
  bool exact = false;
  std::optional<Millis> timeout;
};

struct RemoteDisconnectStep {
  Value identifiers;  // object -> compact JSON; string -> as is
  bool reconnect = false;
  std::optional<std::string> adapter;
};

struct RestartStep {};

struct WaitAllStep {
  std::optional<Millis> timeout;
};

struct SleepStep {
  Millis duration{0};
};

struct CloseStep {
  int code = 1000;
};

// Closes the TCP connection without a close frame, as a client that loses
// its network does.
struct DropStep {};

struct Step;
using Steps = std::vector<Step>;

struct LoopStep {
  int count = 1;
  Steps steps;
};

struct Step {
  std::variant<ConnectStep, SendStep, SubscribeStep, UnsubscribeStep, PerformStep, WhisperStep,
               JoinStep, LeaveStep, PresenceStep, SyncStep, ReceiveStep, ExpectNothingStep,
               ExpectCloseStep, BroadcastStep, HttpStep, RemoteDisconnectStep, RestartStep,
               WaitAllStep, SleepStep, CloseStep, DropStep, LoopStep>
      action;
  std::string keyword;  // as written: "receive", "connect", ...
  Position pos;
};

// Frames a client drops before any step sees them: by `type`, or by pattern.
struct IgnoreRule {
  std::string type;
  std::optional<Pattern> pattern;
};

struct ClientSpec {
  std::string name;
  int count = 1;  // a group of identical clients: name#1 .. name#N
  std::vector<IgnoreRule> ignore;
  Steps steps;
  Position pos;
};

struct Scenario {
  std::string feature;  // report heading, shared by a file's scenarios
  std::string name;
  Position pos;
  std::vector<std::string> requires_features;
  std::vector<std::string> backends;  // built-in names or absolute paths, for `cable rpc`
  std::vector<std::string> resources;
  bool exclusive = false;
  Millis timeout{5000};  // default for every waiting step
  std::vector<std::pair<std::string, Value>> vars;
  std::vector<ClientSpec> clients;

  // Derived by the loader.
  bool uses_restart = false;
  bool uses_secret = false;  // mints tokens or signs streams
  int total_clients() const {
    int n = 0;
    for (const auto& c : clients) n += c.count;
    return n;
  }
  std::string id() const { return feature + ": " + name; }
};

}  // namespace cable::conformance
