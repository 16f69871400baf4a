#pragma once
// A temporary directory for a test, removed with everything in it when the
// object goes out of scope.

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace cable::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/cable-test-XXXXXX";
    path_ = mkdtemp(tmpl) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

  // Writes `text` to `name` inside the directory; returns its path.
  std::string Write(const std::string& name, const std::string& text) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p) << text;
    return p;
  }

  // A symlink `name` -> `target` inside the directory; empty on failure.
  std::string Link(const std::string& target, const std::string& name) const {
    std::string p = path_ + "/" + name;
    return symlink(target.c_str(), p.c_str()) == 0 ? p : "";
  }

 private:
  std::string path_;
};

}  // namespace cable::testing
