// `cable sign`: signs stream names for the $pubsub channel and Turbo Streams
// (Rails MessageVerifier format), and verifies signed names.

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/settings.h"
#include "common/auth/message_verifier.h"
#include "common/auth/secrets.h"

namespace cable::cli {
namespace {

using nlohmann::ordered_json;

constexpr const char* kFooter =
    R"(Secrets (a specific secret beats the common one; for each, the flag beats the
environment; this is how `cable serve`/anycable-go resolve them):
  streams: --streams-secret, ANYCABLE_STREAMS_SECRET, then --secret, ANYCABLE_SECRET
  --turbo: --turbo-streams-secret, ANYCABLE_TURBO_STREAMS_SECRET, then as streams

Examples:
  cable sign chat/42
  cable sign chat/1 chat/2 --json
  printf 'chat/1\nchat/2\n' | cable sign -
  cable sign --turbo "gid://app/Room/1"
  cable sign --verify 'ImNoYXQvNDIi--5aa4...'

With --json, each name gives one JSON object on its own line.
Exit status: 0 ok, 1 a name could not be signed or verified, 2 usage error.)";

struct SignOptions {
  std::vector<std::string> names;
  std::string verify;
  std::string secret;
  std::string streams_secret;
  std::string turbo_streams_secret;
  bool turbo = false;
  bool json = false;
};

std::string ResolveSecret(const SignOptions& options) {
  auth::SecretSettings settings;
  settings.secret = FlagOrEnv(options.secret, {"ANYCABLE_SECRET"});
  settings.streams_secret = FlagOrEnv(options.streams_secret, {"ANYCABLE_STREAMS_SECRET"});
  settings.turbo_streams_secret =
      FlagOrEnv(options.turbo_streams_secret, {"ANYCABLE_TURBO_STREAMS_SECRET"});
  if (options.turbo) {
    std::string resolved = auth::ResolveTurboStreamsSecret(settings);
    if (resolved.empty()) {
      throw UsageError(
          "no Turbo Streams secret: pass --turbo-streams-secret, --streams-secret or --secret, "
          "or set ANYCABLE_TURBO_STREAMS_SECRET, ANYCABLE_STREAMS_SECRET or ANYCABLE_SECRET");
    }
    return resolved;
  }
  if (!options.turbo_streams_secret.empty()) {
    throw UsageError("--turbo-streams-secret only applies with --turbo");
  }
  std::string resolved = auth::ResolveStreamsSecret(settings);
  if (resolved.empty()) {
    throw UsageError(
        "no streams secret: pass --streams-secret or --secret, or set ANYCABLE_STREAMS_SECRET or "
        "ANYCABLE_SECRET");
  }
  NoteEnvBeatsSecretFlag("sign", options.secret, options.streams_secret, "ANYCABLE_STREAMS_SECRET");
  return resolved;
}

// Non-empty lines of stdin, without their line endings.
std::vector<std::string> ReadLines() {
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Replaces each "-" with the lines of stdin (read once).
std::vector<std::string> ExpandStdin(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  bool stdin_read = false;
  for (const auto& arg : args) {
    if (arg != "-") {
      out.push_back(arg);
    } else if (!stdin_read) {
      stdin_read = true;
      for (auto& line : ReadLines()) out.push_back(std::move(line));
    }
  }
  return out;
}

int RunSign(const SignOptions& options, const std::string& secret) {
  std::vector<std::string> names = ExpandStdin(options.names);
  if (names.empty()) throw UsageError("no stream names to sign (stdin was empty)");
  // Sign everything before printing anything, so output lines always pair
  // up with input names.
  std::vector<std::string> signed_names;
  bool failed = false;
  for (const auto& name : names) {
    auto result = auth::SignStream(name, secret);
    if (!result.ok()) {
      std::cerr << "cable sign: error: cannot sign " << Dump(ordered_json(name)) << ": "
                << result.error().message << "\n";
      failed = true;
      continue;
    }
    signed_names.push_back(std::move(*result));
  }
  if (failed) return kExitFailure;
  for (size_t i = 0; i < names.size(); ++i) {
    if (options.json) {
      std::cout << Dump({{"stream", names[i]}, {"signed", signed_names[i]}}) << "\n";
    } else {
      std::cout << signed_names[i] << "\n";
    }
  }
  return kExitOk;
}

int RunVerify(const SignOptions& options, const std::string& secret) {
  std::vector<std::string> inputs = ExpandStdin({options.verify});
  if (inputs.empty()) throw UsageError("no signed names to verify (stdin was empty)");
  int status = kExitOk;
  for (const auto& input : inputs) {
    auto result = auth::VerifyStream(input, secret);
    if (result.ok()) {
      if (options.json) {
        std::cout << Dump({{"valid", true}, {"stream", *result}, {"signed", input}}) << "\n";
      } else {
        std::cout << *result << "\n";
      }
      continue;
    }
    status = kExitFailure;
    if (options.json) {
      std::cout << Dump({{"valid", false},
                         {"reason", result.error().code},
                         {"message", result.error().message},
                         {"signed", input}})
                << "\n";
    } else {
      std::cout << "invalid: " << result.error().code << ": " << result.error().message << "\n";
    }
  }
  return status;
}

}  // namespace

void AddSignCommand(CLI::App& root, Commands& commands) {
  auto* sub = root.add_subcommand(
      "sign", "Sign stream names for signed $pubsub / Turbo Streams subscriptions, or verify one");
  sub->footer(kFooter);
  auto options = std::make_shared<SignOptions>();

  auto* names = sub->add_option("names", options->names,
                                "Stream names to sign; '-' reads them from stdin, one per line")
                    ->type_name("NAME");
  auto* verify =
      sub->add_option("--verify", options->verify,
                      "Verify SIGNED and print its stream name ('-' reads them from stdin)")
          ->type_name("SIGNED");
  sub->add_option("--secret", options->secret,
                  "Common secret (ANYCABLE_SECRET), used when no streams secret is set")
      ->type_name("SECRET");
  sub->add_option("--streams-secret,--streams_secret", options->streams_secret,
                  "Streams secret (ANYCABLE_STREAMS_SECRET)")
      ->type_name("SECRET");
  sub->add_flag("--turbo", options->turbo, "Use the Turbo Streams secret");
  sub->add_option("--turbo-streams-secret,--turbo_streams_secret", options->turbo_streams_secret,
                  "Turbo Streams secret (ANYCABLE_TURBO_STREAMS_SECRET), used with --turbo")
      ->type_name("SECRET");
  sub->add_flag("--json", options->json, "Print JSON, one object per line");
  verify->excludes(names);

  commands[sub] = [sub, options] {
    if (sub->count("--verify") == 0 && options->names.empty()) {
      throw UsageError("nothing to sign: pass stream names, or '-' to read them from stdin");
    }
    const std::string secret = ResolveSecret(*options);
    return sub->count("--verify") > 0 ? RunVerify(*options, secret) : RunSign(*options, secret);
  };
}

}  // namespace cable::cli
