// A workload whose cost is known by construction, for timing tests: n dependent steps of a 64-bit
// LCG are latency-bound, so time is proportional to n whatever else the machine does.
#pragma once

#include <cstdint>

namespace tinytorch::testing {

inline uint64_t Spin(int64_t n) {
  uint64_t x = 1;
  for (int64_t i = 0; i < n; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    asm volatile("" : "+r"(x));
  }
  return x;
}

}  // namespace tinytorch::testing
