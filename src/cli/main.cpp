// `cable`: one executable for every role. Invoked as `cable <subcommand>` or
// through a link named `cable-<subcommand>`, which behaves as that subcommand.

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"

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

  std::vector<std::string> args = ExpandMultiCall(argc, argv);
  std::vector<const char*> cargs;
  for (auto& a : args) cargs.push_back(a.c_str());

  const CLI::App* chosen = nullptr;
  try {
    root.parse(static_cast<int>(cargs.size()), cargs.data());
    for (const CLI::App* sub : root.get_subcommands()) chosen = sub;
  } catch (const CLI::CallForHelp&) {
    std::cout << root.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << root.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return root.exit(e);
    std::string where = "cable";
    for (const CLI::App* sub : root.get_subcommands()) where += " " + sub->get_name();
    std::string what = e.what();
    for (char& c : what)
      if (c == '\n') c = ' ';
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
