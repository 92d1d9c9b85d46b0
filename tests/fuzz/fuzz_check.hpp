// Failure reporting for the fuzz targets: a property violation must crash the process so
// libFuzzer saves the input (and the replay test fails), with a message saying which property.
#pragma once

#include <cstdio>
#include <cstdlib>

#define VMNMOB_FUZZ_CHECK(cond, what)                                                  \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "fuzz property violated at %s:%d: %s\n", __FILE__, __LINE__, \
                   what);                                                              \
      std::abort();                                                                    \
    }                                                                                  \
  } while (false)
