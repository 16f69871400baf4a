#include "conformance/step_loader.h"

#include <cctype>

#include "common/yaml/scalar.h"
#include "conformance/http_step_loader.h"

namespace cable::conformance {
namespace {

constexpr int kMaxLoopDepth = 4;
// How a step may publish (broadcast::PublisherConfig::adapter).
const std::initializer_list<std::string_view> kAdapters = {"http",   "api",  "redis",
                                                           "redisx", "nats", "actioncable-redis"};
constexpr int64_t kMaxRepeat = 100000;
constexpr int64_t kMaxFrameRepeatBytes = 16 << 20;

using Map = std::initializer_list<std::string_view>;

// Identifier keys shared by the Action Cable steps.
#define CABLE_ID_KEYS "channel", "params", "identifier"

class StepReader {
 public:
  StepReader(const YamlReader& r, int depth) : r_(r), depth_(depth) {}

  Step Read(const YAML::Node& item) {
    r_.Visit(item);
    std::string keyword;
    YAML::Node args;
    if (item.IsScalar()) {
      keyword = r_.String(item, "a step");
    } else if (item.IsMap() && item.size() == 1) {
      auto it = item.begin();
      keyword = r_.String(it->first, "a step name");
      args = it->second;
    } else if (item.IsMap()) {
      r_.Fail(item, "a step is a mapping with exactly one key (the step name), found " +
                        std::to_string(item.size()) + " keys");
    } else {
      r_.Expected(item, "a step such as `- receive: {...}`");
    }
    Step step;
    step.keyword = keyword;
    step.pos = r_.Pos(item);
    const YAML::Node at = args ? args : item;
    if (keyword == "connect")
      step.action = Connect(args, at);
    else if (keyword == "send")
      step.action = Send(args, at);
    else if (keyword == "subscribe")
      step.action = Subscribe(args, at);
    else if (keyword == "unsubscribe")
      step.action = Unsubscribe(args, at);
    else if (keyword == "perform")
      step.action = Perform(args, at);
    else if (keyword == "whisper")
      step.action = Whisper(args, at);
    else if (keyword == "join")
      step.action = Join(args, at);
    else if (keyword == "leave")
      step.action = Leave(args, at);
    else if (keyword == "presence")
      step.action = Presence(args, at);
    else if (keyword == "sync")
      step.action = Sync(args);
    else if (keyword == "receive")
      step.action = Receive(args, at);
    else if (keyword == "expect_nothing")
      step.action = ExpectNothing(args);
    else if (keyword == "expect_close")
      step.action = ExpectClose(args);
    else if (keyword == "broadcast")
      step.action = Broadcast(args, at);
    else if (keyword == "http")
      step.action = ReadHttpStep(r_, args, at);
    else if (keyword == "remote_disconnect")
      step.action = RemoteDisconnect(args, at);
    else if (keyword == "restart")
      step.action = NoArgs<RestartStep>(args, keyword);
    else if (keyword == "wait_all")
      step.action = WaitAll(args);
    else if (keyword == "sleep")
      step.action = SleepStep{r_.Duration(at)};
    else if (keyword == "close")
      step.action = Close(args);
    else if (keyword == "drop")
      step.action = NoArgs<DropStep>(args, keyword);
    else if (keyword == "loop")
      step.action = Loop(args, at);
    else
      Unknown(item.IsScalar() ? item : item.begin()->first, keyword);
    return step;
  }

 private:
  [[noreturn]] void Unknown(const YAML::Node& n, const std::string& keyword) {
    std::string list;
    for (auto k : StepKeywords()) list += (list.empty() ? "" : ", ") + std::string(k);
    r_.Fail(n, "unknown step \"" + keyword.substr(0, 64) + "\"" +
                   yaml::DidYouMean(keyword, StepKeywords()) + "; expected one of " + list);
  }

  bool Has(const YAML::Node& map, const char* key) { return map.IsMap() && map[key]; }

  template <typename T>
  T NoArgs(const YAML::Node& args, const std::string& keyword) {
    if (args && !r_.IsNull(args)) r_.Expected(args, "no arguments for " + keyword);
    return T{};
  }

  std::optional<Millis> Timeout(const YAML::Node& map) {
    if (Has(map, "timeout")) return r_.Duration(map["timeout"]);
    return std::nullopt;
  }

  std::vector<std::pair<std::string, TextTemplate>> TextMap(const YAML::Node& n,
                                                            const std::string& what) {
    std::vector<std::pair<std::string, TextTemplate>> out;
    if (!n.IsMap()) r_.Expected(n, "a mapping of " + what);
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string key = r_.String(it->first, "a name");
      const YAML::Node v = it->second;
      if (v.IsScalar()) {
        out.emplace_back(key, r_.Text(v, "a text value"));
      } else {
        r_.Expected(v, "a text value for " + key);
      }
    }
    return out;
  }

  IdentifierSpec Identifier(const YAML::Node& map, const YAML::Node& at) {
    IdentifierSpec id;
    if (Has(map, "identifier")) {
      if (Has(map, "channel") || Has(map, "params"))
        r_.Fail(map["identifier"], "give either identifier or channel/params, not both");
      id.value = r_.ReadValue(map["identifier"]);
      if (id.value.kind != Value::Kind::kText && id.value.kind != Value::Kind::kObject &&
          id.value.kind != Value::Kind::kJsonEncoded)
        r_.Expected(map["identifier"], "an identifier string or mapping");
      return id;
    }
    if (!Has(map, "channel")) r_.Fail(at, "missing channel (or identifier)");
    std::vector<std::pair<std::string, Value>> fields;
    fields.emplace_back("channel", r_.ReadValue(map["channel"]));
    if (Has(map, "params")) {
      const YAML::Node params = map["params"];
      if (!params.IsMap()) r_.Expected(params, "a mapping of channel params");
      for (auto it = params.begin(); it != params.end(); ++it) {
        std::string key = r_.String(it->first, "a param name");
        if (key == "channel") r_.Fail(it->first, "`channel` goes next to params, not inside");
        fields.emplace_back(key, r_.ReadValue(it->second));
      }
    }
    id.value = Value::Object(std::move(fields));
    return id;
  }

  ConnectStep Connect(const YAML::Node& args, const YAML::Node& at) {
    ConnectStep s;
    if (!args || r_.IsNull(args)) {
      s.welcome = WelcomePattern();
      return s;
    }
    r_.CheckMap(args, "connect",
                {"path", "query", "headers", "cookies", "subprotocols", "token", "welcome",
                 "status", "subprotocol", "timeout"});
    if (Has(args, "path")) s.path = r_.Text(args["path"], "a path such as /cable");
    if (Has(args, "query")) {
      const YAML::Node q = args["query"];
      if (q.IsMap()) {
        for (auto it = q.begin(); it != q.end(); ++it)
          s.query.emplace_back(r_.String(it->first, "a parameter name"), r_.ReadValue(it->second));
      } else {
        s.raw_query = r_.Text(q, "a query string or a mapping of parameters");
      }
    }
    if (Has(args, "headers")) s.headers = TextMap(args["headers"], "header names to values");
    if (Has(args, "cookies")) s.cookies = TextMap(args["cookies"], "cookie names to values");
    if (Has(args, "subprotocols"))
      s.subprotocols = r_.StringList(args["subprotocols"], "a subprotocol name");
    if (Has(args, "token")) s.token = Token(args["token"]);
    if (Has(args, "status")) s.status = static_cast<int>(r_.Int(args["status"], 100, 599));
    if (Has(args, "subprotocol")) {
      s.subprotocol =
          r_.IsNull(args["subprotocol"]) ? "" : r_.String(args["subprotocol"], "a subprotocol");
    }
    if (Has(args, "welcome")) {
      const YAML::Node w = args["welcome"];
      if (w.IsScalar() && r_.IsNull(w)) {
        s.welcome = WelcomePattern();
      } else if (w.IsScalar() && yaml::PlainScalar(w.Scalar()).is_boolean()) {
        if (r_.Bool(w)) s.welcome = WelcomePattern();
      } else if (w.IsMap()) {
        Pattern p = r_.ReadPattern(w);
        bool has_type = false;
        for (auto& f : p.fields) has_type = has_type || f.first == "type";
        if (!has_type)
          p.fields.insert(p.fields.begin(),
                          {"type", Pattern::Equal(Value::Text(TextTemplate::Literal("welcome")))});
        s.welcome = std::move(p);
      } else {
        r_.Expected(w, "true, false or a pattern for the welcome message");
      }
    } else if (s.status == 101) {
      s.welcome = WelcomePattern();
    }
    s.timeout = Timeout(args);
    (void)at;
    return s;
  }

  static Pattern WelcomePattern() {
    return Pattern::Object(
        {{"type", Pattern::Equal(Value::Text(TextTemplate::Literal("welcome")))}});
  }

  TokenSpec Token(const YAML::Node& n) {
    TokenSpec t;
    r_.CheckMap(n, "token", {"identifiers", "raw", "expires_in", "alg", "secret", "in", "param"});
    if (Has(n, "identifiers") == Has(n, "raw"))
      r_.Fail(n, "a token needs identifiers or raw (one of them)");
    if (Has(n, "identifiers")) t.identifiers = r_.ReadValue(n["identifiers"]);
    if (Has(n, "raw")) t.raw = r_.Text(n["raw"], "a token string");
    if (Has(n, "expires_in")) t.expires_in = r_.Int(n["expires_in"], -100000000, 100000000);
    if (Has(n, "alg")) t.algorithm = r_.Choice(n["alg"], {"HS256", "HS384", "HS512"});
    if (Has(n, "secret")) t.secret = r_.Text(n["secret"], "a secret");
    if (Has(n, "in")) {
      std::string place = r_.Choice(n["in"], {"query", "header", "subprotocol"});
      t.place = place == "query"    ? TokenPlace::kQuery
                : place == "header" ? TokenPlace::kHeader
                                    : TokenPlace::kSubprotocol;
    }
    if (Has(n, "param")) t.param = r_.String(n["param"], "a parameter name");
    return t;
  }

  SendStep Send(const YAML::Node& args, const YAML::Node& at) {
    SendStep s;
    if (args && args.IsScalar()) {
      s.kind = SendStep::Kind::kText;
      s.value = Value::Text(r_.Text(args, "a text frame"));
      return s;
    }
    if (!args || !args.IsMap())
      r_.Expected(at, "a text frame or a mapping with text, json, binary or hex");
    r_.CheckMap(args, "send", {"text", "json", "binary", "hex", "repeat"});
    int forms = Has(args, "text") + Has(args, "json") + Has(args, "binary") + Has(args, "hex");
    if (forms != 1) r_.Fail(args, "send takes exactly one of text, json, binary, hex");
    if (Has(args, "text")) {
      s.kind = SendStep::Kind::kText;
      s.value = Value::Text(r_.Text(args["text"], "a text frame"));
    } else if (Has(args, "json")) {
      s.kind = SendStep::Kind::kJson;
      s.value = r_.ReadValue(args["json"]);
    } else if (Has(args, "binary")) {
      s.kind = SendStep::Kind::kBinary;
      s.value = Value::Text(r_.Text(args["binary"], "binary frame content"));
    } else {
      s.kind = SendStep::Kind::kBytes;
      std::string hex = r_.String(args["hex"], "hex bytes");
      std::string clean;
      for (char c : hex)
        if (!std::isspace(static_cast<unsigned char>(c))) clean.push_back(c);
      if (clean.size() % 2 != 0 || clean.size() > 2 * 65536)
        r_.Expected(args["hex"], "an even number of hex digits (at most 64 KiB)");
      for (size_t i = 0; i < clean.size(); i += 2) {
        unsigned v = 0;
        for (int k = 0; k < 2; ++k) {
          char c = static_cast<char>(std::tolower(static_cast<unsigned char>(clean[i + k])));
          int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
          if (d < 0) r_.Expected(args["hex"], "hex digits 0-9, a-f");
          v = v * 16 + static_cast<unsigned>(d);
        }
        s.bytes.push_back(static_cast<char>(v));
      }
    }
    if (Has(args, "repeat")) {
      if (s.kind == SendStep::Kind::kBytes || s.kind == SendStep::Kind::kJson)
        r_.Fail(args["repeat"], "repeat applies to text and binary frames");
      s.repeat = static_cast<int>(r_.Int(args["repeat"], 1, kMaxFrameRepeatBytes));
    }
    return s;
  }

  SubscribeStep Subscribe(const YAML::Node& args, const YAML::Node& at) {
    r_.CheckMap(args ? args : at, "subscribe",
                {CABLE_ID_KEYS, "expect", "history", "presence", "timeout"});
    SubscribeStep s;
    s.id = Identifier(args, at);
    if (Has(args, "expect")) {
      std::string e = r_.Choice(args["expect"], {"confirm", "reject", "none"});
      s.expect = e == "confirm"  ? SubscribeStep::Expect::kConfirm
                 : e == "reject" ? SubscribeStep::Expect::kReject
                                 : SubscribeStep::Expect::kNone;
    }
    if (Has(args, "history")) s.history = r_.ReadValue(args["history"]);
    if (Has(args, "presence")) s.presence = r_.ReadValue(args["presence"]);
    s.timeout = Timeout(args);
    return s;
  }

  UnsubscribeStep Unsubscribe(const YAML::Node& args, const YAML::Node& at) {
    r_.CheckMap(args ? args : at, "unsubscribe", {CABLE_ID_KEYS, "sync"});
    UnsubscribeStep s;
    s.id = Identifier(args, at);
    if (Has(args, "sync")) s.sync = r_.Bool(args["sync"]);
    return s;
  }

  PerformStep Perform(const YAML::Node& args, const YAML::Node& at) {
    r_.CheckMap(args ? args : at, "perform", {CABLE_ID_KEYS, "action", "data", "raw_data"});
    PerformStep s;
    s.id = Identifier(args, at);
    if (Has(args, "raw_data")) {
      if (Has(args, "action") || Has(args, "data"))
        r_.Fail(args["raw_data"], "raw_data replaces action and data");
      s.raw_data = r_.ReadValue(args["raw_data"]);
      return s;
    }
    if (Has(args, "action")) s.action = r_.Text(args["action"], "an action name");
    if (Has(args, "data")) {
      const YAML::Node d = args["data"];
      if (!d.IsMap()) r_.Expected(d, "a mapping of action arguments");
      for (auto it = d.begin(); it != d.end(); ++it)
        s.data.emplace_back(r_.String(it->first, "an argument name"), r_.ReadValue(it->second));
    }
    if (!s.action && s.data.empty()) r_.Fail(at, "perform needs an action (or data)");
    return s;
  }

  WhisperStep Whisper(const YAML::Node& args, const YAML::Node& at) {
    r_.CheckMap(args ? args : at, "whisper", {CABLE_ID_KEYS, "data"});
    WhisperStep s;
    s.id = Identifier(args, at);
    if (!Has(args, "data")) r_.Fail(at, "whisper needs data");
    s.data = r_.ReadValue(args["data"]);
    return s;
  }

  JoinStep Join(const YAML::Node& args, const YAML::Node& at) {
    r_.CheckMap(args ? args : at, "join", {CABLE_ID_KEYS, "id", "info", "presence"});
    JoinStep s;
    s.id = Identifier(args, at);
    if (Has(args, "presence")) {
      if (Has(args, "id") || Has(args, "info"))
        r_.Fail(args["presence"], "presence replaces id and info (it is the whole object)");
      s.presence = r_.ReadValue(args["presence"]);
      return s;
    }
    if (Has(args, "id")) s.presence_id = r_.ReadValue(args["id"]);
    if (Has(args, "info")) s.info = r_.ReadValue(args["info"]);
    return s;
  }

  LeaveStep Leave(const YAML::Node& args, const YAML::Node& at) {
    r_.CheckMap(args ? args : at, "leave", {CABLE_ID_KEYS});
    return LeaveStep{Identifier(args, at)};
  }

  PresenceStep Presence(const YAML::Node& args, const YAML::Node& at) {
    r_.CheckMap(args ? args : at, "presence", {CABLE_ID_KEYS, "data"});
    PresenceStep s;
    s.id = Identifier(args, at);
    s.data = Has(args, "data") ? r_.ReadValue(args["data"])
                               : Value::Object({{"return_records", Value::Scalar(Json(true))}});
    return s;
  }

  SyncStep Sync(const YAML::Node& args) {
    SyncStep s;
    if (!args || r_.IsNull(args)) return s;
    r_.CheckMap(args, "sync", {"timeout"});
    s.timeout = Timeout(args);
    return s;
  }

  // One expected frame: `frame: <pattern>` for the whole frame, or the
  // Action Cable shape built from identifier/channel/params, type, message
  // and extra fields. `options` are the step's own keys, skipped here.
  Pattern FramePattern(const YAML::Node& n, bool with_options) {
    if (with_options) {
      r_.CheckMap(n, "receive",
                  {"frame", CABLE_ID_KEYS, "type", "message", "fields", "exact", "timeout"});
    } else {
      r_.CheckMap(n, "an expected frame", {"frame", CABLE_ID_KEYS, "type", "message", "fields"});
    }
    if (Has(n, "frame")) {
      for (auto k : {"channel", "params", "identifier", "type", "message", "fields"}) {
        if (Has(n, k)) r_.Fail(n[k], "frame describes the whole frame; drop " + std::string(k));
      }
      return r_.ReadPattern(n["frame"]);
    }
    Pattern p = Pattern::Object({});
    if (Has(n, "type")) p.fields.emplace_back("type", r_.ReadPattern(n["type"]));
    if (Has(n, "identifier") || Has(n, "channel")) {
      IdentifierSpec id = Identifier(n, n);
      Pattern ip;
      ip.kind =
          id.value.kind == Value::Kind::kObject ? Pattern::Kind::kDumped : Pattern::Kind::kEqual;
      ip.value = id.value;
      p.fields.emplace_back("identifier", std::move(ip));
    } else if (Has(n, "params")) {
      r_.Fail(n["params"], "params need a channel");
    }
    if (Has(n, "message")) p.fields.emplace_back("message", r_.ReadPattern(n["message"]));
    if (Has(n, "fields")) {
      const YAML::Node f = n["fields"];
      if (!f.IsMap()) r_.Expected(f, "a mapping of extra frame fields");
      for (auto it = f.begin(); it != f.end(); ++it)
        p.fields.emplace_back(r_.String(it->first, "a field name"), r_.ReadPattern(it->second));
    }
    if (p.fields.empty())
      r_.Fail(n, "an expected frame needs frame, type, channel/identifier or message");
    return p;
  }

  ReceiveStep Receive(const YAML::Node& args, const YAML::Node& at) {
    if (!args || !args.IsMap()) r_.Expected(at, "a mapping describing the expected frame(s)");
    ReceiveStep s;
    if (Has(args, "messages")) {
      r_.CheckMap(args, "receive", {"messages", "any_order", "exact", "timeout"});
      const YAML::Node list = args["messages"];
      if (!list.IsSequence() || list.size() == 0)
        r_.Expected(list, "a non-empty list of expected frames");
      for (const auto& item : list) s.frames.push_back(FramePattern(item, false));
      if (Has(args, "any_order")) s.any_order = r_.Bool(args["any_order"]);
    } else {
      s.frames.push_back(FramePattern(args, true));
    }
    if (Has(args, "exact")) s.exact = r_.Bool(args["exact"]);
    s.timeout = Timeout(args);
    return s;
  }

  ExpectNothingStep ExpectNothing(const YAML::Node& args) {
    ExpectNothingStep s;
    if (!args || r_.IsNull(args)) return s;
    if (args.IsMap()) {
      r_.CheckMap(args, "expect_nothing", {"for"});
      if (Has(args, "for")) s.duration = r_.Duration(args["for"]);
      return s;
    }
    s.duration = r_.Duration(args);
    return s;
  }

  ExpectCloseStep ExpectClose(const YAML::Node& args) {
    ExpectCloseStep s;
    if (!args || r_.IsNull(args)) return s;
    r_.CheckMap(args, "expect_close", {"code", "reason", "disconnect", "allow_drop", "timeout"});
    if (Has(args, "code")) s.code = static_cast<int>(r_.Int(args["code"], 1000, 4999));
    if (Has(args, "reason")) s.reason = r_.Text(args["reason"], "a close reason");
    if (Has(args, "disconnect")) {
      const YAML::Node d = args["disconnect"];
      if (!d.IsMap()) r_.Expected(d, "a mapping such as {reason: unauthorized, reconnect: false}");
      Pattern p = r_.ReadPattern(d);
      p.fields.insert(p.fields.begin(),
                      {"type", Pattern::Equal(Value::Text(TextTemplate::Literal("disconnect")))});
      s.disconnect = std::move(p);
    }
    if (Has(args, "allow_drop")) s.allow_drop = r_.Bool(args["allow_drop"]);
    s.timeout = Timeout(args);
    return s;
  }

  PublicationSpec Publication(const YAML::Node& n, const YAML::Node& at) {
    PublicationSpec p;
    if (!Has(n, "stream")) r_.Fail(at, "a publication needs a stream");
    p.stream = r_.ReadValue(n["stream"]);
    if (Has(n, "data") == Has(n, "raw_data"))
      r_.Fail(at, "a publication needs data or raw_data (one of them)");
    if (Has(n, "data")) {
      p.data = r_.ReadValue(n["data"]);
    } else {
      p.data = Value::Text(r_.Text(n["raw_data"], "the publication's data string"));
      p.raw_data = true;
    }
    if (Has(n, "exclude_socket")) p.exclude_socket = r_.ReadValue(n["exclude_socket"]);
    return p;
  }

  BroadcastStep Broadcast(const YAML::Node& args, const YAML::Node& at) {
    if (!args || !args.IsMap())
      r_.Expected(at, "a mapping with stream and data (or publications, or body)");
    r_.CheckMap(args, "broadcast",
                {"stream", "data", "raw_data", "exclude_socket", "publications", "batch", "body",
                 "adapter", "key", "expect_error", "repeat"});
    BroadcastStep s;
    int forms = Has(args, "stream") + Has(args, "publications") + Has(args, "body");
    if (forms != 1) r_.Fail(at, "broadcast takes one of stream (with data), publications or body");
    if (Has(args, "stream")) {
      s.publications.push_back(Publication(args, at));
    } else if (Has(args, "publications")) {
      const YAML::Node list = args["publications"];
      if (!list.IsSequence() || list.size() == 0)
        r_.Expected(list, "a non-empty list of publications");
      for (const auto& item : list) {
        r_.CheckMap(item, "a publication", {"stream", "data", "raw_data", "exclude_socket"});
        s.publications.push_back(Publication(item, item));
      }
      s.batch = true;
      if (Has(args, "batch")) s.batch = r_.Bool(args["batch"]);
    } else {
      s.body = r_.Text(args["body"], "a raw publication body");
    }
    if (Has(args, "adapter")) s.adapter = r_.Choice(args["adapter"], kAdapters);
    if (Has(args, "key")) s.key = r_.Text(args["key"], "a bearer key");
    if (Has(args, "expect_error"))
      s.expect_error = r_.String(args["expect_error"], "an error code such as unauthorized");
    if (Has(args, "repeat")) s.repeat = static_cast<int>(r_.Int(args["repeat"], 1, kMaxRepeat));
    return s;
  }

  RemoteDisconnectStep RemoteDisconnect(const YAML::Node& args, const YAML::Node& at) {
    if (!args || !args.IsMap()) r_.Expected(at, "a mapping with identifiers");
    r_.CheckMap(args, "remote_disconnect", {"identifiers", "reconnect", "adapter"});
    RemoteDisconnectStep s;
    if (!Has(args, "identifiers")) r_.Fail(at, "remote_disconnect needs identifiers");
    s.identifiers = r_.ReadValue(args["identifiers"]);
    if (Has(args, "reconnect")) s.reconnect = r_.Bool(args["reconnect"]);
    if (Has(args, "adapter")) s.adapter = r_.Choice(args["adapter"], kAdapters);
    return s;
  }

  WaitAllStep WaitAll(const YAML::Node& args) {
    WaitAllStep s;
    if (!args || r_.IsNull(args)) return s;
    r_.CheckMap(args, "wait_all", {"timeout"});
    s.timeout = Timeout(args);
    return s;
  }

  CloseStep Close(const YAML::Node& args) {
    CloseStep s;
    if (!args || r_.IsNull(args)) return s;
    r_.CheckMap(args, "close", {"code"});
    if (Has(args, "code")) s.code = static_cast<int>(r_.Int(args["code"], 1000, 4999));
    return s;
  }

  LoopStep Loop(const YAML::Node& args, const YAML::Node& at) {
    if (!args || !args.IsMap()) r_.Expected(at, "a mapping with count and steps");
    r_.CheckMap(args, "loop", {"count", "steps"});
    if (!Has(args, "count") || !Has(args, "steps")) r_.Fail(at, "loop needs count and steps");
    if (depth_ + 1 > kMaxLoopDepth) r_.Fail(at, "loops nest at most 4 deep");
    LoopStep s;
    s.count = static_cast<int>(r_.Int(args["count"], 0, kMaxRepeat));
    s.steps = ReadSteps(r_, args["steps"], depth_ + 1);
    return s;
  }

  const YamlReader& r_;
  int depth_;
};

}  // namespace

const std::vector<std::string_view>& StepKeywords() {
  static const std::vector<std::string_view> kKeywords = {
      "connect",      "send",      "subscribe", "unsubscribe",
      "perform",      "whisper",   "join",      "leave",
      "presence",     "sync",      "receive",   "expect_nothing",
      "expect_close", "broadcast", "http",      "remote_disconnect",
      "restart",      "wait_all",  "sleep",     "close",
      "drop",         "loop"};
  return kKeywords;
}

Steps ReadSteps(const YamlReader& reader, const YAML::Node& node, int depth) {
  if (!node.IsSequence()) reader.Expected(node, "a list of steps");
  Steps out;
  StepReader r(reader, depth);
  for (const auto& item : node) out.push_back(r.Read(item));
  return out;
}

Step ReadStep(const YamlReader& reader, const YAML::Node& item, int depth) {
  return StepReader(reader, depth).Read(item);
}

}  // namespace cable::conformance
