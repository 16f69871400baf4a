#include "rpc/loader.h"

#include <algorithm>

#include "common/read_file.h"
#include "common/yaml/reader.h"
#include "common/yaml/scalar.h"
#include "rpc/limits.h"

namespace cable::rpc {
namespace {

using yaml::Reader;

enum class Context { kSubscribe, kAction, kUnsubscribe, kDisconnect };

constexpr RootSet kRequestRoots = Bit(Root::kUrl) | Bit(Root::kHost) | Bit(Root::kPath) |
                                  Bit(Root::kQuery) | Bit(Root::kHeaders) | Bit(Root::kCookies) |
                                  Bit(Root::kSid);
constexpr RootSet kConnectRoots = kRequestRoots;
constexpr RootSet kConnectionDisconnectRoots =
    kRequestRoots | Bit(Root::kIdentifiers) | Bit(Root::kState);
constexpr RootSet kChannelRoots = kRequestRoots | Bit(Root::kIdentifiers) | Bit(Root::kParams) |
                                  Bit(Root::kChannel) | Bit(Root::kIdentifier) | Bit(Root::kState) |
                                  Bit(Root::kCstate);
constexpr RootSet kActionRoots = kChannelRoots | Bit(Root::kData);

constexpr std::string_view kAllSteps[] = {
    "transmit", "broadcast", "stream_from", "stop_stream_from", "stop_all_streams",
    "set",      "increment", "unset",       "presence",         "disconnect",
    "reject",   "require",   "if"};

bool StepAllowed(Context ctx, std::string_view step) {
  switch (ctx) {
    case Context::kSubscribe:
      return true;
    case Context::kAction:
      return step != "reject" && step != "require";
    // The server leaves the presence stream itself on unsubscribe.
    case Context::kUnsubscribe:
      return step == "broadcast" || step == "set" || step == "increment" || step == "unset" ||
             step == "if";
    case Context::kDisconnect:
      return step == "broadcast" || step == "if";
  }
  return false;
}

std::string AllowedSteps(Context ctx) {
  std::string out;
  for (auto s : kAllSteps) {
    if (!StepAllowed(ctx, s)) continue;
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

const char* ContextName(Context ctx) {
  switch (ctx) {
    case Context::kSubscribe:
      return "on_subscribe";
    case Context::kAction:
      return "actions";
    case Context::kUnsubscribe:
      return "on_unsubscribe";
    case Context::kDisconnect:
      return "on_disconnect";
  }
  return "";
}

class Loader {
 public:
  Loader(const std::string& file, Definitions* defs,
         std::unordered_map<std::string, std::string>* channel_where)
      : r_(file, limits::kMaxYamlNodes), defs_(defs), channel_where_(channel_where) {}

  const Reader& reader() const { return r_; }

  void Document(const std::string& text) {
    const YAML::Node root = r_.Parse(text);
    if (r_.IsNull(root)) return;  // an empty file defines nothing
    r_.CheckMap(root, "the top level", {"connections", "channels"});
    for (auto it = root.begin(); it != root.end(); ++it) {
      std::string key = it->first.Scalar();
      const YAML::Node value = it->second;
      if (key == "connections") {
        if (value.IsNull()) continue;
        if (!value.IsSequence()) {
          r_.Expected(value, "a list of connection handlers (each starting with '- ')");
        }
        for (std::size_t i = 0; i < value.size(); ++i) Connection(value[i]);
      } else {
        if (value.IsNull()) continue;
        r_.CheckMap(value, "'channels' (channel name: definition)", {});
        for (auto ch = value.begin(); ch != value.end(); ++ch) Channel(ch->first, ch->second);
      }
    }
  }

 private:
  std::string Where(const YAML::Node& n) const { return r_.Pos(n).str(); }

  Template CompileTemplate(const YAML::Node& n, RootSet allowed, const std::string& what) {
    std::string text = r_.String(n, "a string for " + what);
    std::size_t offset = 0;
    auto t = Template::Compile(text, allowed, &offset);
    if (!t.ok()) {
      yaml::Position p = r_.Pos(n);
      // Point at the placeholder when the scalar is on one line; quoted
      // scalars start one column before their text.
      if (p.line && text.find('\n') == std::string::npos) {
        p.column += static_cast<int>(offset) + (Reader::IsPlain(n) ? 0 : 1);
      }
      r_.FailAt(p, "bad template in " + what + ": " + t.error().message);
    }
    return std::move(*t);
  }

  ValueTemplate Value(const YAML::Node& n, RootSet allowed, const std::string& what) {
    r_.Visit(n);
    switch (n.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return ValueTemplate::Literal(Json());
      case YAML::NodeType::Scalar:
        if (Reader::IsPlain(n)) {
          Json v = yaml::PlainScalar(n.Scalar());
          if (!v.is_string()) return ValueTemplate::Literal(std::move(v));
        }
        return ValueTemplate::FromTemplate(CompileTemplate(n, allowed, what));
      case YAML::NodeType::Sequence: {
        std::vector<ValueTemplate> items;
        for (std::size_t i = 0; i < n.size(); ++i) items.push_back(Value(n[i], allowed, what));
        return ValueTemplate::Array(std::move(items));
      }
      case YAML::NodeType::Map: {
        r_.CheckMap(n, what, {});
        std::vector<std::pair<std::string, ValueTemplate>> members;
        for (auto it = n.begin(); it != n.end(); ++it) {
          members.emplace_back(it->first.Scalar(), Value(it->second, allowed, what));
        }
        return ValueTemplate::Object(std::move(members));
      }
    }
    return ValueTemplate::Literal(Json());
  }

  NamedValues NamedValueMap(const YAML::Node& n, RootSet allowed, const std::string& what,
                            RootSet* used) {
    NamedValues out;
    if (n.IsNull()) return out;
    r_.CheckMap(n, what, {});
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (it->first.Scalar().empty()) r_.Fail(it->first, "empty key in " + what);
      out.emplace_back(it->first.Scalar(), Value(it->second, allowed, what));
      *used |= out.back().second.roots();
    }
    return out;
  }

  // A string or a list of strings, each a template.
  std::vector<Template> TemplateList(const YAML::Node& n, RootSet allowed, const std::string& what,
                                     RootSet* used) {
    std::vector<Template> out;
    if (n.IsSequence()) {
      if (n.size() == 0) r_.Fail(n, what + " must name at least one stream");
      for (std::size_t i = 0; i < n.size(); ++i)
        out.push_back(CompileTemplate(n[i], allowed, what));
    } else {
      out.push_back(CompileTemplate(n, allowed, what + " (a name or a list of names)"));
    }
    for (const auto& t : out) *used |= t.roots();
    return out;
  }

  Matcher ParseMatcherOp(const std::string& op, const YAML::Node& v, RootSet allowed,
                         const std::string& what) {
    Matcher m;
    if (op == "present") {
      m.op = r_.Bool(v) ? Matcher::Op::kPresent : Matcher::Op::kAbsent;
      return m;
    }
    if (op == "one_of") {
      m.op = Matcher::Op::kOneOf;
      if (!v.IsSequence()) r_.Expected(v, "a list for 'one_of' in " + what);
      for (std::size_t i = 0; i < v.size(); ++i) {
        m.operands.push_back(CompileTemplate(v[i], allowed, what));
      }
      return m;
    }
    if (op == "equals") m.op = Matcher::Op::kEquals;
    if (op == "not_equals") m.op = Matcher::Op::kNotEquals;
    if (op == "contains") m.op = Matcher::Op::kContains;
    if (op == "starts_with") m.op = Matcher::Op::kStartsWith;
    m.operands.push_back(CompileTemplate(v, allowed, what + " '" + op + "'"));
    return m;
  }

  Condition ParseCondition(const YAML::Node& n, RootSet allowed, const std::string& what) {
    Condition cond;
    if (n.IsNull()) return cond;
    r_.CheckMap(n, what + " (path: value or path: {equals|present|...})", {});
    for (auto it = n.begin(); it != n.end(); ++it) {
      Check check;
      auto path = ParsePath(it->first.Scalar(), allowed);
      if (!path.ok()) r_.Fail(it->first, "bad path in " + what + ": " + path.error().message);
      check.path = std::move(*path);
      const YAML::Node v = it->second;
      std::string mwhat = "the check of '" + check.path.text + "'";
      if (v.IsMap()) {
        r_.CheckMap(v, mwhat,
                    {"equals", "not_equals", "present", "contains", "starts_with", "one_of"});
        if (v.size() == 0) r_.Fail(v, mwhat + " has no matcher");
        for (auto m = v.begin(); m != v.end(); ++m) {
          check.matchers.push_back(ParseMatcherOp(m->first.Scalar(), m->second, allowed, mwhat));
        }
      } else if (v.IsSequence()) {
        check.matchers.push_back(ParseMatcherOp("one_of", v, allowed, mwhat));
      } else if (v.IsScalar()) {
        check.matchers.push_back(ParseMatcherOp("equals", v, allowed, mwhat));
      } else {
        r_.Fail(it->first, mwhat +
                               " needs a value to compare with, or a matcher such as "
                               "{present: true}");
      }
      cond.Add(std::move(check));
    }
    return cond;
  }

  Steps ParseSteps(const YAML::Node& n, Context ctx, RootSet allowed, const std::string& what,
                   RootSet* used) {
    Steps steps;
    if (n.IsNull()) return steps;
    r_.Visit(n);
    if (!n.IsSequence()) {
      r_.Expected(n, "a list of steps (each starting with '- ') for " + what);
    }
    for (std::size_t i = 0; i < n.size(); ++i) steps.push_back(ParseStep(n[i], ctx, allowed, used));
    return steps;
  }

  Step ParseStep(const YAML::Node& n, Context ctx, RootSet allowed, RootSet* used) {
    r_.Visit(n);
    if (!n.IsMap() || n.size() == 0) {
      r_.Expected(n, "a step, a mapping such as 'transmit: ...' or 'stream_from: ...'");
    }
    Step step;
    step.where = Where(n);
    // `if` is the one step with companion keys.
    if (n["if"]) {
      r_.CheckMap(n, "an 'if' step", {"if", "then", "else"});
      IfStep s;
      s.condition = ParseCondition(n["if"], allowed, "'if'");
      *used |= s.condition.roots();
      if (!n["then"] && !n["else"]) r_.Fail(n, "an 'if' step needs 'then' and/or 'else' steps");
      if (n["then"]) s.then_steps = ParseSteps(n["then"], ctx, allowed, "'then'", used);
      if (n["else"]) s.else_steps = ParseSteps(n["else"], ctx, allowed, "'else'", used);
      step.action = std::move(s);
      return step;
    }
    if (n.size() != 1) {
      auto it = n.begin();
      ++it;
      r_.Fail(it->first,
              "one step per list item: put '" + it->first.Scalar() + "' in its own '- ' item");
    }
    const YAML::Node key = n.begin()->first;
    const YAML::Node v = n.begin()->second;
    const std::string name = r_.String(key, "a step name");
    if (std::find(std::begin(kAllSteps), std::end(kAllSteps), name) == std::end(kAllSteps)) {
      r_.Fail(key, "unknown step \"" + name.substr(0, 64) + "\"" +
                       yaml::DidYouMean(name, kAllSteps) + "; expected one of " +
                       AllowedSteps(ctx));
    }
    if (!StepAllowed(ctx, name)) {
      r_.Fail(key, "'" + name + "' is not allowed in " + ContextName(ctx) +
                       "; allowed here: " + AllowedSteps(ctx));
    }
    const std::string what = "'" + name + "'";
    if (name == "transmit") {
      step.action = TransmitStep{Value(v, allowed, what)};
      *used |= std::get<TransmitStep>(step.action).message.roots();
    } else if (name == "broadcast") {
      r_.CheckMap(v, what + " (stream:, message:, to_others:)", {"stream", "message", "to_others"});
      if (!v["stream"]) r_.Fail(v, "'broadcast' needs 'stream'");
      if (!v["message"]) r_.Fail(v, "'broadcast' needs 'message' (the payload clients receive)");
      BroadcastStep s;
      s.stream = CompileTemplate(v["stream"], allowed, "'broadcast' 'stream'");
      s.message = Value(v["message"], allowed, "'broadcast' 'message'");
      if (v["to_others"]) s.to_others = r_.Bool(v["to_others"]);
      *used |= s.stream.roots() | s.message.roots() | Bit(Root::kSid);
      step.action = std::move(s);
    } else if (name == "stream_from") {
      step.action = StreamFromStep{TemplateList(v, allowed, what, used)};
    } else if (name == "stop_stream_from") {
      step.action = StopStreamFromStep{TemplateList(v, allowed, what, used)};
    } else if (name == "stop_all_streams" || name == "disconnect" || name == "reject") {
      if (!r_.Bool(v)) r_.Fail(v, what + " only takes 'true' (remove the step instead)");
      if (name == "stop_all_streams") step.action = StopAllStreamsStep{};
      if (name == "disconnect") step.action = DisconnectStep{};
      if (name == "reject") step.action = RejectStep{};
    } else if (name == "set") {
      step.action = SetStep{NamedValueMap(v, allowed, what + " (key: value)", used)};
      *used |= Bit(Root::kState);
    } else if (name == "increment") {
      step.action = IncrementStep{NamedValueMap(v, allowed, what + " (key: amount)", used)};
      *used |= Bit(Root::kState);
    } else if (name == "unset") {
      UnsetStep s;
      if (v.IsSequence()) {
        for (std::size_t i = 0; i < v.size(); ++i)
          s.keys.push_back(r_.String(v[i], "a key for " + what));
      } else {
        s.keys.push_back(r_.String(v, "a key (or a list of keys) for " + what));
      }
      step.action = std::move(s);
      *used |= Bit(Root::kState);
    } else if (name == "presence") {
      step.action = Presence(v, allowed, used);
    } else if (name == "require") {
      RequireStep s{ParseCondition(v, allowed, what)};
      *used |= s.condition.roots();
      step.action = std::move(s);
    }
    return step;
  }

  // {type: join, id: ..., info: ...} or {type: leave}.
  PresenceStep Presence(const YAML::Node& v, RootSet allowed, RootSet* used) {
    const std::string what = "'presence' (type: join|leave, id:, info:)";
    r_.CheckMap(v, what, {"type", "id", "info"});
    if (!v["type"]) r_.Fail(v, "'presence' needs 'type': join or leave");
    PresenceStep s;
    s.join = r_.Choice(v["type"], {"join", "leave"}) == "join";
    if (s.join && !v["id"]) r_.Fail(v, "'presence' join needs 'id' (the presence id)");
    if (!s.join && v["info"]) r_.Fail(v["info"], "'presence' leave takes no 'info'");
    if (v["id"]) {
      // A number is an id too, as its text (`id: 42` is "42").
      s.id = CompileTemplate(v["id"], allowed, "'presence' 'id'");
      *used |= s.id.roots();
    }
    if (v["info"]) {
      s.has_info = true;
      s.info = Value(v["info"], allowed, "'presence' 'info'");
      *used |= s.info.roots();
    }
    return s;
  }

  void Connection(const YAML::Node& n) {
    r_.CheckMap(n, "a connection handler",
                {"name", "when", "require", "reject_if", "reject", "identifiers", "state",
                 "on_disconnect"});
    ConnectionHandler h;
    h.where = Where(n);
    h.name = n["name"] ? r_.String(n["name"], "a name for 'name'")
                       : "connection #" + std::to_string(defs_->connections.size() + 1);
    RootSet roots = 0;
    if (n["when"]) h.when = ParseCondition(n["when"], kConnectRoots, "'when'");
    if (n["require"]) h.require = ParseCondition(n["require"], kConnectRoots, "'require'");
    if (n["reject_if"]) {
      h.reject_if = ParseCondition(n["reject_if"], kConnectRoots, "'reject_if'");
      h.has_reject_if = true;
    }
    if (n["reject"]) h.reject = r_.Bool(n["reject"]);
    if (n["identifiers"]) {
      h.identifiers = NamedValueMap(n["identifiers"], kConnectRoots, "'identifiers'", &roots);
    }
    if (n["state"]) h.state = NamedValueMap(n["state"], kConnectRoots, "'state'", &roots);
    h.connect_roots = roots | h.when.roots() | h.require.roots() | h.reject_if.roots();
    if (n["on_disconnect"]) {
      h.on_disconnect.steps =
          ParseSteps(n["on_disconnect"], Context::kDisconnect, kConnectionDisconnectRoots,
                     "'on_disconnect'", &h.on_disconnect.roots);
    }
    // The handler is selected again on Disconnect, so `when` is read there too.
    h.on_disconnect.roots |= h.when.roots();
    defs_->connections.push_back(std::move(h));
  }

  void Channel(const YAML::Node& key, const YAML::Node& n) {
    const std::string& name = key.Scalar();
    if (name.empty()) r_.Fail(key, "empty channel name");
    if (auto it = channel_where_->find(name); it != channel_where_->end()) {
      r_.Fail(key, "channel '" + name + "' is already defined at " + it->second);
    }
    ChannelDefinition ch;
    ch.name = name;
    ch.where = Where(key);
    if (!n.IsNull()) {
      r_.CheckMap(n, "channel '" + name + "'", {"on_subscribe", "actions", "on_unsubscribe"});
      if (n["on_subscribe"]) {
        ch.on_subscribe.steps = ParseSteps(n["on_subscribe"], Context::kSubscribe, kChannelRoots,
                                           "'on_subscribe'", &ch.on_subscribe.roots);
      }
      if (n["on_unsubscribe"]) {
        ch.on_unsubscribe.steps =
            ParseSteps(n["on_unsubscribe"], Context::kUnsubscribe, kChannelRoots,
                       "'on_unsubscribe'", &ch.on_unsubscribe.roots);
      }
      if (n["actions"] && !n["actions"].IsNull()) {
        const YAML::Node& actions = n["actions"];
        r_.CheckMap(actions, "'actions' (action name: steps)", {});
        for (auto it = actions.begin(); it != actions.end(); ++it) {
          const std::string& action = it->first.Scalar();
          if (action.empty()) r_.Fail(it->first, "empty action name");
          Handler h;
          h.steps = ParseSteps(it->second, Context::kAction, kActionRoots,
                               "action '" + action + "'", &h.roots);
          ch.actions.emplace(action, std::move(h));
        }
      }
    }
    channel_where_->emplace(name, ch.where);
    defs_->channels.emplace(name, std::move(ch));
  }

  Reader r_;
  Definitions* defs_;
  std::unordered_map<std::string, std::string>* channel_where_;
};

}  // namespace

Result<Source> ReadSource(const std::string& path) {
  auto text = ReadFile(path, limits::kMaxFileBytes);
  if (!text.ok()) return text.error();
  return Source{path, std::move(text.value())};
}

Result<Definitions> LoadDefinitions(const std::vector<Source>& sources) {
  if (sources.size() > limits::kMaxFiles) {
    return Error{"too_many_files", "at most " + std::to_string(limits::kMaxFiles) +
                                       " definition files can be loaded"};
  }
  Definitions defs;
  std::unordered_map<std::string, std::string> channel_where;
  for (const Source& src : sources) {
    if (src.text.size() > limits::kMaxFileBytes) {
      return Error{"too_large",
                   src.name + ": larger than " + std::to_string(limits::kMaxFileBytes) + " bytes"};
    }
    Loader loader(src.name, &defs, &channel_where);
    try {
      loader.Document(src.text);
    } catch (const yaml::LoadError& e) {
      return Error{"definition_error", e.message};
    } catch (const YAML::Exception& e) {
      return Error{"definition_error", loader.reader().Message(e)};
    }
  }
  return defs;
}

}  // namespace cable::rpc
