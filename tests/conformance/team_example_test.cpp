// docs/conformance.md's worked example "A team's own channels", run exactly
// as written: the deployment (cable rpc with the team's chat channel,
// cable serve, a Redis) and the `cable conformance --no-rpc` command are
// read from the doc; only the ports are replaced by free ones.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "conformance_helpers.h"
#include "support/redis_server.h"

namespace cable::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The lines of the ```sh block that follows `marker`, with backslash
// continuations joined.
std::vector<std::string> ShellBlockAfter(const std::string& doc, const std::string& marker) {
  std::vector<std::string> out;
  size_t at = doc.find(marker);
  if (at == std::string::npos) return out;
  size_t begin = doc.find("```sh\n", at);
  size_t end = doc.find("```", begin + 6);
  if (begin == std::string::npos || end == std::string::npos) return out;
  std::stringstream block(doc.substr(begin + 6, end - begin - 6));
  std::string line, joined;
  while (std::getline(block, line)) {
    if (!line.empty() && line.back() == '\\') {
      joined += line.substr(0, line.size() - 1);
      continue;
    }
    joined += line;
    if (!joined.empty() && joined[0] != '#') out.push_back(joined);
    joined.clear();
  }
  return out;
}

std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string w;
  while (ss >> w) out.push_back(w);
  return out;
}

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

TEST(TeamExample, TheWorkedExampleRunsAsWritten) {
  if (!RedisServer::Available()) GTEST_SKIP() << "redis-server not installed";
  const std::string doc = ReadFile(SourcePath("docs/conformance.md"));
  // The scenario and the backend are shown in the doc as they are in the tree.
  for (const char* file :
       {"scenarios/examples/team_chat.yml", "scenarios/examples/team_chat.backend.yml"}) {
    std::string text = ReadFile(SourcePath(file));
    ASSERT_FALSE(text.empty()) << file;
    EXPECT_NE(doc.find(text), std::string::npos) << file << " is not shown verbatim in the doc";
  }
  std::vector<std::string> lines = ShellBlockAfter(doc, "<!-- team example commands -->");
  ASSERT_EQ(lines.size(), 3u) << "expected cable rpc, cable serve and cable conformance";

  RedisServer redis;
  const int serve_port = FreePort(), rpc_port = FreePort();
  std::vector<ChildProcess> deployment;
  RunResult result;
  for (std::string line : lines) {
    // The doc's ports (server 8080, RPC 50051, Redis 6379) become free ones.
    ReplaceAll(line, "8080", std::to_string(serve_port));
    ReplaceAll(line, "50051", std::to_string(rpc_port));
    ReplaceAll(line, "6379", std::to_string(redis.port()));
    bool background = line.size() > 2 && line.substr(line.size() - 2) == " &";
    if (background) line.resize(line.size() - 2);
    std::vector<std::string> argv = Words(line);
    ASSERT_FALSE(argv.empty());
    ASSERT_EQ(argv[0], "cable") << line;
    argv[0] = CableBinary();
    SpawnOptions in_tree;
    in_tree.cwd = SourcePath("");  // paths in the doc are relative to the checkout
    if (background) {
      deployment.emplace_back(argv, in_tree);
      int port = argv[1] == "rpc" ? rpc_port : serve_port;
      ASSERT_TRUE(WaitForPort(port)) << line << "\n" << deployment.back().Stderr();
    } else {
      result = cable::testing::Run(argv, in_tree, std::chrono::seconds(60));
    }
  }
  std::cout << result.out << result.err;
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(LastLine(result.out), "3 passed, 0 failed, 0 skipped");
}

}  // namespace
}  // namespace cable::testing
