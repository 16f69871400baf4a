#pragma once
// A broken invariant is a finding just like a crash: FUZZ_CHECK prints what
// failed and aborts, so libFuzzer saves the input as a reproducer. Unlike
// assert() it stays on in every build type.

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, what)                                                                   \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n  (%s)\n", __FILE__, __LINE__, what, \
                   #cond);                                                                       \
      std::abort();                                                                              \
    }                                                                                            \
  } while (0)
