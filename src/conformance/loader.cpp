#include "conformance/loader.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/builtin_suite.h"
#include "conformance/features.h"
#include "conformance/step_loader.h"
#include "conformance/step_values.h"
#include "conformance/yaml_reader.h"
#include "rpc/builtin.h"
#include "rpc/loader.h"

namespace cable::conformance {
namespace {

constexpr int64_t kMaxGroupSize = 1000;
constexpr int kMaxClientsPerScenario = 2000;

struct Walk {
  std::vector<std::string> used, captured;
  bool restart = false, secret = false;

  void V(const Value& v) {
    v.CollectVariables(&used);
    if (v.kind == Value::Kind::kSigned) secret = true;
    for (const auto& i : v.items) V(i);
    for (const auto& [k, f] : v.fields) V(f);
  }
  void T(const TextTemplate& t) {
    for (auto& n : t.variables()) used.push_back(n);
  }
  void P(const Pattern& p) {
    p.CollectVariables(&used, &captured);
    // Signed values can hide in identifiers compared by kDumped.
    V(p.value);
  }
  void Steps(const conformance::Steps& steps) {
    for (const auto& s : steps) std::visit([this](const auto& a) { Step(a); }, s.action);
  }
  // The steps cable bench scripts share (step_values.h).
  template <typename S>
  void Step(const S& s) {
    VisitStepValues(*this, s);
  }
  void Step(const ConnectStep& s) {
    VisitStepValues(*this, s);
    // A token signed with the target's secret: the scenario needs it.
    if (s.token && !s.token->raw && !s.token->secret) secret = true;
  }
  void Step(const SendStep& s) { V(s.value); }
  void Step(const PresenceStep& s) {
    V(s.id.value);
    V(s.data);
  }
  void Step(const SyncStep&) {}
  void Step(const ReceiveStep& s) {
    for (const auto& p : s.frames) P(p);
  }
  void Step(const ExpectNothingStep&) {}
  void Step(const ExpectCloseStep& s) {
    if (s.reason) T(*s.reason);
    if (s.disconnect) P(*s.disconnect);
  }
  void Step(const HttpStep& s) {
    T(s.path);
    for (const auto& [k, v] : s.headers) T(v);
    if (s.key) T(*s.key);
    if (s.body) T(*s.body);
    if (s.json) V(*s.json);
    P(s.status);
    if (s.expect_json) P(*s.expect_json);
    if (s.expect_body) P(*s.expect_body);
    for (const auto& [k, p] : s.expect_headers) P(p);
  }
  void Step(const RemoteDisconnectStep& s) { V(s.identifiers); }
  void Step(const RestartStep&) { restart = true; }
  void Step(const WaitAllStep&) {}
  void Step(const SleepStep&) {}
  void Step(const CloseStep&) {}
  void Step(const DropStep&) {}
  void Step(const LoopStep& s) { Steps(s.steps); }
};

std::string BuiltinDefinitionNames() {
  std::string names;
  for (const auto& b : rpc::BuiltinDefinitions())
    names += (names.empty() ? "" : ", ") + std::string(b.name);
  return names;
}

class ScenarioLoader {
 public:
  ScenarioLoader(const std::string& file) : r_(file) {
    dir_ = std::filesystem::path(file).parent_path().string();
  }

  const YamlReader& reader() const { return r_; }

  std::vector<Scenario> Document(const YAML::Node& root) {
    std::vector<Scenario> out;
    if (r_.IsNull(root)) r_.Fail(root, "empty scenario file; expected a mapping with scenarios");
    if (!root.IsMap()) r_.Expected(root, "a mapping with feature and scenarios");
    if (root["scenarios"]) {
      r_.CheckMap(root, "the top level",
                  {"feature", "requires", "backend", "resources", "exclusive", "timeout", "vars",
                   "scenarios"});
      Scenario defaults = Defaults(root);
      const YAML::Node list = root["scenarios"];
      if (!list.IsSequence() || list.size() == 0)
        r_.Expected(list, "a non-empty list of scenarios");
      for (const auto& item : list) out.push_back(OneScenario(item, defaults));
    } else {
      r_.CheckMap(root, "the top level",
                  {"feature", "name", "requires", "backend", "resources", "exclusive", "timeout",
                   "vars", "clients", "steps"});
      Scenario defaults = Defaults(root);
      out.push_back(OneScenario(root, defaults, true));
    }
    std::set<std::string> names;
    for (const auto& s : out) {
      if (!names.insert(s.name).second)
        throw LoadError{s.pos.str() + ": scenario \"" + s.name +
                        "\" is defined twice in this file"};
    }
    return out;
  }

 private:
  Scenario Defaults(const YAML::Node& root) {
    Scenario d;
    d.feature = root["feature"] ? r_.String(root["feature"], "a feature title")
                                : std::filesystem::path(r_.file()).stem().string();
    Common(root, &d);
    return d;
  }

  // Keys a file and a scenario share; a scenario adds to the file's lists.
  void Common(const YAML::Node& n, Scenario* s) {
    if (n["requires"]) {
      for (const auto& item : Sequence(n["requires"])) {
        std::string f = r_.String(item, "a feature name");
        if (!IsKnownFeature(f)) {
          std::vector<std::string_view> names;
          for (const auto& k : KnownFeatures()) names.push_back(k.name);
          r_.Fail(item, "unknown feature \"" + f.substr(0, 64) + "\"" + yaml::DidYouMean(f, names) +
                            "; expected one of " + KnownFeatureList());
        }
        if (std::find(s->requires_features.begin(), s->requires_features.end(), f) ==
            s->requires_features.end())
          s->requires_features.push_back(f);
      }
    }
    if (n["backend"]) {
      for (const auto& item : Sequence(n["backend"])) s->backends.push_back(Backend(item));
    }
    if (n["resources"]) {
      for (const auto& item : Sequence(n["resources"]))
        s->resources.push_back(r_.String(item, "a resource name"));
    }
    if (n["exclusive"]) s->exclusive = r_.Bool(n["exclusive"]);
    if (n["timeout"]) s->timeout = r_.Duration(n["timeout"]);
    if (n["vars"]) {
      const YAML::Node vars = n["vars"];
      if (!vars.IsMap()) r_.Expected(vars, "a mapping of variable names to values");
      for (auto it = vars.begin(); it != vars.end(); ++it) {
        std::string name = r_.String(it->first, "a variable name");
        std::string error;
        if (!TextTemplate::Parse("{{" + name + "}}", &error)) r_.Fail(it->first, error);
        if (name.find('|') != std::string::npos)
          r_.Fail(it->first, "bad variable name \"" + name.substr(0, 128) +
                                 "\" (expected letters, digits, _ . -)");
        s->vars.emplace_back(name, r_.ReadValue(it->second));
      }
    }
  }

  std::vector<YAML::Node> Sequence(const YAML::Node& n) {
    std::vector<YAML::Node> out;
    if (n.IsSequence()) {
      for (const auto& item : n) out.push_back(item);
    } else {
      out.push_back(n);
    }
    return out;
  }

  std::string Backend(const YAML::Node& n) {
    std::string name = r_.String(n, "a backend definition: a built-in name or a YAML path");
    for (const auto& b : rpc::BuiltinDefinitions())
      if (b.name == name) return name;
    // A built-in scenario names the definitions next to it in the suite.
    if (builtin_suite::IsBuiltinName(r_.file())) {
      std::string resolved = builtin_suite::Resolve(r_.file(), name);
      if (builtin_suite::IsBuiltinName(name)) resolved = name;
      if (resolved.empty() || !builtin_suite::Find(resolved)) {
        r_.Fail(n, "backend \"" + name.substr(0, 200) +
                       "\" is neither a built-in suite file (looked at " +
                       (resolved.empty() ? "a path outside the suite" : resolved) +
                       ") nor a built-in definition (" + BuiltinDefinitionNames() + ")");
      }
      return resolved;
    }
    if (builtin_suite::IsBuiltinName(name)) {
      if (!builtin_suite::Find(name))
        r_.Fail(n, "backend \"" + name.substr(0, 200) + "\" is not a file of the built-in suite");
      return name;
    }
    std::filesystem::path p(name);
    if (p.is_relative()) p = std::filesystem::path(dir_) / p;
    std::error_code ec;
    auto abs = std::filesystem::weakly_canonical(p, ec);
    struct stat st {};
    if (ec || stat(abs.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      r_.Fail(n, "backend \"" + name.substr(0, 200) + "\" is neither a file (looked at " +
                     p.string() + ") nor a built-in definition (" + BuiltinDefinitionNames() + ")");
    }
    return abs.string();
  }

  Scenario OneScenario(const YAML::Node& n, const Scenario& defaults, bool top = false) {
    if (!top) {
      r_.CheckMap(n, "a scenario",
                  {"name", "requires", "backend", "resources", "exclusive", "timeout", "vars",
                   "clients", "steps"});
    }
    Scenario s = defaults;
    s.pos = r_.Pos(n);
    if (!n["name"]) r_.Fail(n, "a scenario needs a name");
    s.name = r_.String(n["name"], "a scenario name");
    if (s.name.empty() || s.name.size() > 200)
      r_.Expected(n["name"], "a name of 1 to 200 characters");
    if (!top) Common(n, &s);
    if (n["clients"] && n["steps"])
      r_.Fail(n["steps"], "give either clients or steps (one client)");
    if (n["steps"]) {
      ClientSpec c;
      c.name = "client";
      c.pos = r_.Pos(n["steps"]);
      c.ignore.push_back({"ping", std::nullopt});
      c.steps = ReadSteps(r_, n["steps"]);
      s.clients.push_back(std::move(c));
    } else if (n["clients"]) {
      const YAML::Node list = n["clients"];
      if (!list.IsSequence() || list.size() == 0) r_.Expected(list, "a non-empty list of clients");
      int index = 0;
      for (const auto& item : list) s.clients.push_back(Client(item, ++index, list.size()));
    } else {
      r_.Fail(n, "a scenario needs clients (or steps for a single client)");
    }
    std::set<std::string> names;
    for (const auto& c : s.clients) {
      if (!names.insert(c.name).second)
        throw LoadError{c.pos.str() + ": client name \"" + c.name + "\" is used twice"};
    }
    if (s.total_clients() > kMaxClientsPerScenario)
      r_.Fail(n, "more than 2000 clients in one scenario");
    Check(n, &s);
    return s;
  }

  ClientSpec Client(const YAML::Node& n, int index, size_t total) {
    r_.CheckMap(n, "a client", {"name", "count", "ignore", "steps"});
    ClientSpec c;
    c.pos = r_.Pos(n);
    c.name = n["name"] ? r_.String(n["name"], "a client name")
                       : (total == 1 ? "client" : "client" + std::to_string(index));
    if (c.name.empty() || c.name.size() > 64)
      r_.Expected(n["name"], "a name of 1 to 64 characters");
    if (n["count"]) c.count = static_cast<int>(r_.Int(n["count"], 1, kMaxGroupSize));
    if (n["ignore"]) {
      const YAML::Node list = n["ignore"];
      if (!list.IsSequence()) r_.Expected(list, "a list of message types or frame patterns");
      for (const auto& item : list) {
        if (item.IsMap()) {
          c.ignore.push_back({"", r_.ReadPattern(item)});
        } else {
          c.ignore.push_back({r_.String(item, "a message type such as ping"), std::nullopt});
        }
      }
    } else {
      c.ignore.push_back({"ping", std::nullopt});
    }
    if (!n["steps"]) r_.Fail(n, "a client needs steps");
    c.steps = ReadSteps(r_, n["steps"]);
    if (c.steps.empty()) r_.Expected(n["steps"], "at least one step");
    return c;
  }

  // Variables must be defined somewhere: built in, in vars, or captured by
  // some step of some client (captures are shared by the scenario).
  void Check(const YAML::Node& n, Scenario* s) {
    Walk w;
    for (const auto& c : s->clients) {
      w.Steps(c.steps);
      for (const auto& rule : c.ignore)
        if (rule.pattern) w.P(*rule.pattern);
    }
    for (const auto& [k, v] : s->vars) w.V(v);
    std::set<std::string> defined(w.captured.begin(), w.captured.end());
    for (auto b : BuiltinVariables()) defined.insert(std::string(b));
    for (const auto& [k, v] : s->vars) defined.insert(k);
    for (const auto& name : w.used) {
      if (!defined.count(name)) {
        r_.Fail(n["name"], "scenario \"" + s->name + "\" uses {{" + name +
                               "}} but nothing defines it (vars, a !capture, or a built-in: run, "
                               "client, index, target_host, target_port, target_path, api_path)");
      }
    }
    s->uses_restart = w.restart;
    s->uses_secret = w.secret;
    if (s->uses_restart) s->exclusive = true;
  }

  YamlReader r_;
  std::string dir_;
};

bool IsBackendFileName(const std::string& name) {
  return name.size() > 12 && name.find(".backend.y") != std::string::npos;
}

void CollectFiles(const std::string& path, std::vector<std::string>* out,
                  std::vector<std::string>* errors) {
  if (builtin_suite::IsBuiltinName(path)) {
    auto files = builtin_suite::Select(path);
    if (files.empty()) {
      errors->push_back(path + ": no such file or folder in the built-in suite (see --list)");
      return;
    }
    for (const auto* f : files) {
      std::string name = std::string(builtin_suite::kPrefix) + std::string(f->path);
      // A backend definition named on its own is still not a scenario file.
      if (files.size() > 1 && IsBackendFileName(std::filesystem::path(name).filename().string()))
        continue;
      out->push_back(name);
    }
    return;
  }
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    errors->push_back(path + ": no such file or directory");
    return;
  }
  if (std::filesystem::is_directory(status)) {
    std::vector<std::string> found;
    for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      auto ext = it->path().extension().string();
      if (ext != ".yml" && ext != ".yaml") continue;
      // Backend definitions may sit next to the scenarios that use them.
      if (IsBackendFileName(it->path().filename().string())) continue;
      found.push_back(it->path().string());
    }
    std::sort(found.begin(), found.end());
    out->insert(out->end(), found.begin(), found.end());
    return;
  }
  out->push_back(path);
}

Result<std::string> ReadScenarioFile(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error{"io", file + ": cannot read"};
  std::string text;
  text.resize(kMaxScenarioFileBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

}  // namespace

const std::vector<std::string_view>& BuiltinVariables() {
  static const std::vector<std::string_view> kNames = {
      "run", "client", "index", "target_host", "target_port", "target_path", "api_path"};
  return kNames;
}

Result<std::vector<Scenario>> LoadScenarioText(const std::string& file, std::string_view text) {
  if (text.size() > kMaxScenarioFileBytes) return Error{"too_large", file + ": larger than 1 MiB"};
  ScenarioLoader loader(file);
  YAML::Node root;
  try {
    root = loader.reader().Parse(std::string(text));
  } catch (const LoadError& e) {
    return Error{"yaml", e.message};
  }
  try {
    return loader.Document(root);
  } catch (const LoadError& e) {
    return Error{"load", e.message};
  } catch (const YAML::Exception& e) {
    return Error{"yaml", loader.reader().Message(e)};
  }
}

LoadedSuite LoadSuite(const std::vector<std::string>& paths) {
  LoadedSuite suite;
  std::vector<std::string> files;
  for (const auto& p : paths) CollectFiles(p, &files, &suite.errors);
  if (files.size() > kMaxScenarioFiles) {
    suite.errors.push_back("more than 1000 scenario files");
    return suite;
  }
  std::set<std::string> ids;
  std::set<std::string> seen;
  for (const auto& file : files) {
    // The same file named twice (a folder and a file in it) loads once.
    if (!seen.insert(file).second) continue;
    std::string text;
    if (const auto* builtin = builtin_suite::Find(file)) {
      text = std::string(builtin->text);
    } else if (auto read = ReadScenarioFile(file); read.ok()) {
      text = std::move(*read);
    } else {
      suite.errors.push_back(read.error().message);
      continue;
    }
    auto loaded = LoadScenarioText(file, text);
    if (!loaded.ok()) {
      suite.errors.push_back(loaded.error().message);
      continue;
    }
    for (auto& s : *loaded) {
      if (!ids.insert(s.id()).second) {
        suite.errors.push_back(s.pos.str() + ": \"" + s.id() +
                               "\" is already defined in another file");
        continue;
      }
      suite.scenarios.push_back(std::move(s));
    }
  }
  return suite;
}

Status CheckBackends(const std::vector<std::string>& backends) {
  std::vector<rpc::Source> sources;
  for (const auto& b : backends) {
    auto src = rpc::ResolveDefinition(b);
    if (!src.ok()) return src.error();
    sources.push_back(std::move(*src));
  }
  auto defs = rpc::LoadDefinitions(sources);
  if (!defs.ok()) return defs.error();
  return Status::Ok();
}

}  // namespace cable::conformance
