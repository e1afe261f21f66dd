// Test helpers for the process-wide kernel knobs of module 17: set for a scope and restored
// whatever happens in it, and the SIMD levels this CPU can run.
#pragma once

#include <vector>

#include "tinytorch/acceleration.h"

namespace tinytorch::testing {

class ScopedSimdLevel {
 public:
  explicit ScopedSimdLevel(SimdLevel level) : previous_(SetSimdLevel(level)) {}
  ~ScopedSimdLevel() { SetSimdLevel(previous_); }
  ScopedSimdLevel(const ScopedSimdLevel&) = delete;
  ScopedSimdLevel& operator=(const ScopedSimdLevel&) = delete;

 private:
  SimdLevel previous_;
};

class ScopedThreads {
 public:
  explicit ScopedThreads(int threads) : previous_(SetNumThreads(threads)) {}
  ~ScopedThreads() { SetNumThreads(previous_); }
  ScopedThreads(const ScopedThreads&) = delete;
  ScopedThreads& operator=(const ScopedThreads&) = delete;

 private:
  int previous_;
};

// Scalar first, up to DetectedSimdLevel().
inline std::vector<SimdLevel> SupportedSimdLevels() {
  std::vector<SimdLevel> levels;
  for (SimdLevel l : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (static_cast<int>(l) <= static_cast<int>(DetectedSimdLevel())) levels.push_back(l);
  }
  return levels;
}

}  // namespace tinytorch::testing
