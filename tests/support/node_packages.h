#pragma once
// The npm packages of tests/node (real JavaScript clients such as
// @rails/actioncable and @anycable/web), installed once per checkout.

#include <string>

namespace cable::testing {

// Installs tests/node's packages; empty on success, else why tests that
// need them cannot run (no node or npm, offline). Safe to call from tests
// running in parallel processes: one install at a time.
std::string InstallNodePackages();

}  // namespace cable::testing
