#include "common/read_file.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace cable {

Result<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return Error{"not_found", path + ": no such file"};
  if (!S_ISREG(st.st_mode)) return Error{"not_a_file", path + ": not a regular file"};
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    return Error{"too_large", path + ": file is " + std::to_string(st.st_size) +
                                  " bytes, the limit is " + std::to_string(max_bytes)};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"unreadable", path + ": cannot open file"};
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  // It may have grown since stat.
  if (text.size() > max_bytes) return Error{"too_large", path + ": file grew past the limit"};
  return text;
}

}  // namespace cable
