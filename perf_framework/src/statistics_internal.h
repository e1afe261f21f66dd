// Helpers shared by statistics.cc and hodges_lehmann.cc (private to perf_framework).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <vector>

#include "perf_framework/error.h"

namespace perf::internal {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

inline void CheckConfidence(double confidence, const char* fn) {
  PERF_CHECK(confidence > 0 && confidence < 1, fn, ": confidence ", confidence,
             " must be in (0, 1)");
}

inline std::vector<double> Sorted(std::span<const double> x) {
  std::vector<double> s(x.begin(), x.end());
  std::sort(s.begin(), s.end());
  return s;
}

// Where the p-th percentile of n sorted values lies (Hyndman & Fan type 7): a fraction `frac` of
// the way from the value at 0-based rank `lo` to the one at rank `hi`.
struct PercentilePosition {
  size_t lo, hi;
  double frac;
};

inline PercentilePosition PositionOfPercentile(size_t n, double p) {
  const double h = (static_cast<double>(n) - 1) * p / 100.0;
  const auto lo = static_cast<size_t>(std::floor(h));
  return {lo, std::min(lo + 1, n - 1), h - static_cast<double>(lo)};
}

// One formula for every percentile, so that a percentile found without sorting (the
// Hodges–Lehmann median) is the very double that sorting gives.
inline double Interpolate(double low, double high, double frac) {
  return low + frac * (high - low);
}

inline double PercentileOfSorted(const std::vector<double>& s, double p) {
  const PercentilePosition at = PositionOfPercentile(s.size(), p);
  return Interpolate(s[at.lo], s[at.hi], at.frac);
}

}  // namespace perf::internal
