#pragma once
// Tests that drive a real JavaScript client (tests/node/*.mjs under Node)
// against `cable serve` nodes: the npm packages are installed once per
// suite (the tests are skipped, with the reason, when they cannot be), the
// script runs as a child process and prints one `summary {json}` line,
// which the test then checks. On a failure the summary, the script's
// stderr and every node's log are printed once.

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "server/server_test_helpers.h"
#include "support/node_packages.h"

namespace cable::testing {

class NodeScriptTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { skip_reason_ = new std::string(InstallNodePackages()); }
  static void TearDownTestSuite() {
    delete skip_reason_;
    skip_reason_ = nullptr;
  }
  void SetUp() override {
    if (!skip_reason_->empty()) GTEST_SKIP() << *skip_reason_;
  }
  void TearDown() override {
    if (HasFailure()) std::cout << "summary: " << summary_.dump(1) << "\n" << context_ << "\n";
  }

  static std::string Tail(const std::string& text, size_t n = 4000) {
    return text.size() <= n ? text : "..." + text.substr(text.size() - n);
  }

  // Runs `argv` (at most `timeout` plus a margin for the script's own
  // deadline) and returns its parsed summary, or a test failure and null.
  // The script must exit 0.
  Json RunNodeScript(const std::vector<std::string>& argv, std::chrono::seconds timeout,
                     const std::vector<CableServer*>& nodes) {
    ChildProcess script(argv);
    auto code = script.Wait(timeout + std::chrono::seconds(30));
    std::string logs;
    for (size_t i = 0; i < nodes.size(); ++i) {
      logs += "\n--- node " + std::to_string(i) + " log:\n" + Tail(nodes[i]->process().Stderr());
    }
    context_ = "script stderr:\n" + Tail(script.Stderr()) + logs;
    EXPECT_TRUE(code.has_value()) << "script still running";
    const std::string out = script.Stdout();
    const auto at = out.find("summary ");
    if (at == std::string::npos) {
      ADD_FAILURE() << "no summary; exit " << code.value_or(-1) << "\nstdout: " << out;
      return {};
    }
    auto summary = Json::parse(out.substr(at + 8, out.find('\n', at) - at - 8), nullptr, false);
    if (!summary.is_object()) {
      ADD_FAILURE() << "bad summary: " << out;
      return {};
    }
    summary_ = summary;
    EXPECT_EQ(code.value_or(-1), 0);
    return summary;
  }

  Json summary_;
  std::string context_;

 private:
  static inline std::string* skip_reason_ = nullptr;
};

}  // namespace cable::testing
