#pragma once
// Loading scenario text in loader tests: the scenarios, or the error a
// broken text must produce (a test failure when it loads).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conformance/loader.h"

namespace cable::conformance {

inline Result<std::vector<Scenario>> Load(const std::string& text) {
  return LoadScenarioText("t.yml", text);
}

inline std::string LoadError(const std::string& text) {
  auto r = Load(text);
  EXPECT_FALSE(r.ok()) << "expected an error for:\n" << text;
  return r.ok() ? "" : r.error().message;
}

}  // namespace cable::conformance
