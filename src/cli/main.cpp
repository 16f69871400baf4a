// `cable`: one executable for every role. Invoked as `cable <subcommand>` or
// through a link named `cable-<subcommand>`, which behaves as that subcommand.

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "common/strings.h"

namespace {

// `cable-token --user_id=1` becomes `cable token --user_id=1`.
std::vector<std::string> ExpandMultiCall(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  std::string base = args.empty() ? "cable" : args[0];
  if (auto slash = base.rfind('/'); slash != std::string::npos) base = base.substr(slash + 1);
  const std::string prefix = "cable-";
  if (base.size() > prefix.size() && base.compare(0, prefix.size(), prefix) == 0) {
    args.insert(args.begin() + 1, base.substr(prefix.size()));
  }
  return args;
}

// " (did you mean --rpc_host?)" for the first `--name` in `args` that
// `sub` does not know, naming its nearest option within three edits.
std::string Suggestion(const CLI::App& sub, const std::vector<std::string>& args) {
  for (const auto& arg : args) {
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) continue;
    const std::string name = arg.substr(2, arg.find('=') - 2);
    if (const_cast<CLI::App&>(sub).get_option_no_throw("--" + name) != nullptr) continue;
    std::string best;
    size_t best_distance = 4;
    for (const CLI::Option* option : sub.get_options()) {
      for (const auto& candidate : option->get_lnames()) {
        const size_t d = cable::EditDistance(name, candidate);
        if (d < best_distance) best_distance = d, best = candidate;
      }
    }
    if (!best.empty()) return " (did you mean --" + best + "?)";
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace cable::cli;
  CLI::App root{
      "cable: a toolkit for AnyCable deployments: server, mock RPC backend, tokens, "
      "signed streams, broadcasts, benchmarks and conformance.",
      "cable"};
  root.require_subcommand(1);
  root.footer("Run `cable <command> --help` for the flags of a command.");

  Commands commands;
  AddServeCommand(root, commands);
  AddBroadcastCommand(root, commands);
  AddBenchCommand(root, commands);
  AddTokenCommand(root, commands);
  AddSignCommand(root, commands);
  AddRpcCommand(root, commands);
  AddConformanceCommand(root, commands);
  AddVersionCommand(root, commands);
  // `cable --version`, and `cable bench --version` etc. where users look first.
  const std::string version = VersionLine();
  root.set_version_flag("--version", version, "Print the version and exit");
  for (CLI::App* sub : root.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_name() != "version")
      sub->set_version_flag("--version", version, "Print the version and exit");
  }

  std::vector<std::string> args = ExpandMultiCall(argc, argv);
  std::vector<const char*> cargs;
  for (auto& a : args) cargs.push_back(a.c_str());

  const CLI::App* chosen = nullptr;
  try {
    root.parse(static_cast<int>(cargs.size()), cargs.data());
    for (const CLI::App* sub : root.get_subcommands()) chosen = sub;
  } catch (const CLI::CallForVersion& e) {
    std::cout << e.what() << "\n";
    return kExitOk;
  } catch (const CLI::CallForHelp&) {
    std::cout << root.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << root.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return root.exit(e);
    std::string where = "cable";
    const CLI::App* sub_app = &root;
    for (const CLI::App* sub : root.get_subcommands())
      where += " " + sub->get_name(), sub_app = sub;
    std::string what = e.what();
    for (char& c : what)
      if (c == '\n') c = ' ';
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) what += Suggestion(*sub_app, args);
    // CLI11 leaves hidden options unnamed in its errors (": message"); their
    // checks name the option themselves.
    if (what.rfind(": ", 0) == 0) what.erase(0, 2);
    std::cerr << where << ": error: " << what << " (see `" << where << " --help`)\n";
    return kExitUsage;
  }

  auto it = commands.find(chosen);
  if (it == commands.end()) {
    std::cerr << root.help();
    return kExitUsage;
  }
  try {
    return it->second();
  } catch (const UsageError& e) {
    std::cerr << "cable " << chosen->get_name() << ": error: " << e.what() << "\n";
    return kExitUsage;
  }
}
