// Hodges–Lehmann shift with the Moses interval: the fast selection beside the naive reference
// that sorts all m·n differences (statistics.h).
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "perf_framework/statistics.h"
#include "statistics_internal.h"

namespace perf {

using internal::CheckConfidence;
using internal::Interpolate;
using internal::kInf;
using internal::PercentileOfSorted;
using internal::PercentilePosition;
using internal::PositionOfPercentile;
using internal::Sorted;

namespace {

void CheckShiftSamples(std::span<const double> a, std::span<const double> b, double confidence,
                       const char* fn) {
  CheckConfidence(confidence, fn);
  PERF_CHECK(!a.empty() && !b.empty(), fn, ": needs two non-empty samples");
  for (const std::span<const double> x : {a, b}) {
    for (const double v : x) PERF_CHECK(std::isfinite(v), fn, ": value ", v, " is not finite");
  }
}

// Rank (1-based, from the bottom) of the differences that bound the Moses interval: the normal
// approximation to the Mann–Whitney null distribution. Below 1 there is no interval.
int64_t MosesRank(size_t a_size, size_t b_size, double confidence) {
  const auto m = static_cast<double>(a_size), n = static_cast<double>(b_size);
  const double z = NormalQuantile(1 - (1 - confidence) / 2);
  return static_cast<int64_t>(std::floor(m * n / 2 - z * std::sqrt(m * n * (m + n + 1) / 12)));
}

// Doubles as unsigned integers in the order they sort: consecutive keys are consecutive doubles
// (-0 just below +0), so halving a range of keys halves the doubles between two values.
constexpr uint64_t kSignBit = uint64_t{1} << 63;
uint64_t OrderKey(double v) {
  const auto bits = std::bit_cast<uint64_t>(v);
  return (bits & kSignBit) != 0 ? ~bits : bits | kSignBit;
}
double FromOrderKey(uint64_t key) {
  return std::bit_cast<double>((key & kSignBit) != 0 ? key & ~kSignBit : ~key);
}

// How many of the differences b_j - a_i are <= t; a and b sorted ascending. As a_i grows every
// b_j - a_i shrinks, so the number of j with b_j - a_i <= t never falls and one walk counts all:
// O(m + n).
int64_t CountDifferencesAtMost(std::span<const double> a, std::span<const double> b, double t) {
  int64_t count = 0;
  size_t j = 0;
  for (const double ai : a) {
    while (j < b.size() && b[j] - ai <= t) ++j;
    count += static_cast<int64_t>(j);
  }
  return count;
}

// The k-th smallest (1-based) of the m·n differences b_j - a_i exactly as double arithmetic
// rounds them; a and b sorted ascending, finite. Rounding is monotone, so the rounded differences
// still sort along the rows and columns of the X + Y matrix and can be counted by a walk. The
// answer is one of them, a double, and "at least k differences <= t" holds from it upwards, so a
// binary search over every double between the smallest and the largest difference lands on it
// exactly: at most 64 halvings of the key range, each one O(m + n) count, and no m·n array.
// (Johnson & Mizoguchi's selection in X + Y needs fewer counts, but its weighted medians of
// candidate ranges are much more code, and this takes a fraction of a second at 100,000 a side.)
double KthDifference(std::span<const double> a, std::span<const double> b, int64_t k) {
  uint64_t lo = OrderKey(b.front() - a.back()), hi = OrderKey(b.back() - a.front());
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (CountDifferencesAtMost(a, b, FromOrderKey(mid)) >= k) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  // A zero answer stops the search at -0, the lower key of the two zeros; but the differences
  // x - x that make zeros are +0, and so is what sorting returns. (-0 + 0 is +0; nothing else
  // changes by adding 0.)
  return FromOrderKey(lo) + 0.0;
}

}  // namespace

Interval HodgesLehmannShift(std::span<const double> a, std::span<const double> b,
                            double confidence) {
  CheckShiftSamples(a, b, confidence, "HodgesLehmannShift");
  const std::vector<double> sa = Sorted(a), sb = Sorted(b);
  const int64_t pairs = static_cast<int64_t>(a.size()) * static_cast<int64_t>(b.size());
  const auto kth = [&](int64_t k) { return KthDifference(sa, sb, k); };
  const PercentilePosition mid = PositionOfPercentile(static_cast<size_t>(pairs), 50);
  const double low_mid = kth(static_cast<int64_t>(mid.lo) + 1);
  const double high_mid = mid.hi == mid.lo ? low_mid : kth(static_cast<int64_t>(mid.hi) + 1);
  const double estimate = Interpolate(low_mid, high_mid, mid.frac);
  const int64_t k = MosesRank(a.size(), b.size(), confidence);
  if (k < 1) return {estimate, -kInf, kInf, confidence};
  return {estimate, kth(k), kth(pairs - k + 1), confidence};
}

Interval HodgesLehmannShiftNaive(std::span<const double> a, std::span<const double> b,
                                 double confidence) {
  CheckShiftSamples(a, b, confidence, "HodgesLehmannShiftNaive");
  std::vector<double> diffs;
  diffs.reserve(a.size() * b.size());
  for (double bj : b) {
    for (double ai : a) diffs.push_back(bj - ai);
  }
  std::sort(diffs.begin(), diffs.end());
  const double estimate = PercentileOfSorted(diffs, 50);
  const int64_t k = MosesRank(a.size(), b.size(), confidence);
  if (k < 1) return {estimate, -kInf, kInf, confidence};
  return {estimate, diffs[k - 1], diffs[diffs.size() - k], confidence};
}

}  // namespace perf
