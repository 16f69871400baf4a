// `cable version`: version and build information.

#include <openssl/opensslv.h>

#include <iostream>

#include "cable/build_info.h"
#include "cli/command.h"

namespace cable::cli {

std::string VersionLine() {
  return std::string("cable ") + build::kVersion + " (commit " + build::kGitSha + ", " +
         build::kBuildType + ", " + build::kCompiler + ", " + OPENSSL_VERSION_TEXT + ")";
}

void AddVersionCommand(CLI::App& root, Commands& commands) {
  auto* sub = root.add_subcommand("version", "Print version and build information");
  auto json = std::make_shared<bool>(false);
  sub->add_flag("--json", *json, "Print as JSON");
  commands[sub] = [json] {
    if (*json) {
      std::cout << "{\"version\":\"" << build::kVersion << "\",\"commit\":\"" << build::kGitSha
                << "\",\"build_type\":\"" << build::kBuildType << "\",\"compiler\":\""
                << build::kCompiler << "\",\"openssl\":\"" << OPENSSL_VERSION_TEXT << "\"}\n";
    } else {
      std::cout << VersionLine() << "\n";
    }
    return kExitOk;
  };
}

}  // namespace cable::cli
