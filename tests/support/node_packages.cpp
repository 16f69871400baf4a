#include "support/node_packages.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>

#include "support/process.h"

namespace cable::testing {

using namespace std::chrono_literals;

std::string InstallNodePackages() {
  auto node = Run({"node", "--version"}, {}, 10s);
  if (node.exit_code != 0) return "node is not installed: " + node.err;
  auto npm = Run({"npm", "--version"}, {}, 30s);
  if (npm.exit_code != 0) return "npm is not installed: " + npm.err;
  // CTest runs each test in its own process, in parallel: one npm install
  // at a time into tests/node, or a test sees a half-installed tree.
  int lock = ::open(SourcePath("tests/node/.install.lock").c_str(), O_CREAT | O_RDWR, 0644);
  if (lock >= 0) ::flock(lock, LOCK_EX);
  struct Unlock {
    int fd;
    ~Unlock() {
      if (fd >= 0) ::close(fd);
    }
  } unlock{lock};
  auto install = Run({"npm", "install", "--prefix", SourcePath("tests/node"), "--no-audit",
                      "--no-fund", "--no-progress"},
                     {}, 180s);
  if (install.exit_code != 0) {
    return "npm install in tests/node failed (offline?): " + install.out + install.err;
  }
  return {};
}

}  // namespace cable::testing
