#pragma once
// Stand-ins for sessions in the hub's unit tests. The hub only stores and
// compares Session pointers (delivery reaches sessions through the calls a
// test passes to DeliverVia), so distinct addresses are all it needs.

#include <cstddef>

namespace cable::server {

class Session;

namespace hub_testing {

struct Placeholder {
  alignas(std::max_align_t) char byte;
};
inline Placeholder placeholders[64];

// The i-th stand-in (i < 64).
inline Session* S(size_t i) {
  return reinterpret_cast<Session*>(&placeholders[i]);
}

}  // namespace hub_testing
}  // namespace cable::server
