// The downstream project's tests: both sorts agree, and the performance contract "std::sort is
// at least 3x faster than insertion sort on 2048 shuffled ints", decided by perf_framework's
// PerformanceComparator as a ratio with its 95% interval, never as an absolute time. The
// expected ratio is well above 10x (quadratic against n log n); 3x leaves room for a noisy
// shared machine. A tinytorch check shows the other installed package links too.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "perf_framework/comparator.h"
#include "perf_framework/suite.h"
#include "sorting.h"
#include "tinytorch/tensor.h"

namespace downstream {
namespace {

constexpr int kValues = 2048;
constexpr double kContractSpeedup = 3.0;

TEST(SortingTest, BothSortsAgree) {
  std::vector<int> a = ShuffledInts(kValues, 7), b = a;
  InsertionSort(a);
  StandardSort(b);
  EXPECT_EQ(a, b);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
}

TEST(SortingTest, StdSortIsAtLeastThreeTimesFasterThanInsertionSort) {
  const std::vector<int> input = ShuffledInts(kValues, 42);
  std::vector<int> slow = input, fast = input;
  perf::PerformanceComparator comparator({.max_seconds = 5});
  const perf::ComparisonResult r = comparator.Compare(
      "insertion sort vs std::sort, 2048 ints",
      [&] {  // baseline
        slow = input;
        InsertionSort(slow);
        perf::DoNotOptimize(slow);
      },
      [&] {  // candidate
        fast = input;
        StandardSort(fast);
        perf::DoNotOptimize(fast);
      },
      [&] {
        slow = input;
        fast = input;
        InsertionSort(slow);
        StandardSort(fast);
        return slow == fast;
      });
  const perf::ClaimOutcome claim =
      perf::DecideAtLeast(perf::SpeedupEvidence(r), kContractSpeedup, "speedup");
  RecordProperty("speedup", std::to_string(r.speedup.estimate));
  RecordProperty("speedup_low", std::to_string(r.speedup.low));
  RecordProperty("speedup_high", std::to_string(r.speedup.high));
  EXPECT_EQ(r.verdict, perf::Verdict::kFaster) << r.reason;
  EXPECT_EQ(claim.verdict, perf::ClaimVerdict::kPass) << claim.reason;
}

TEST(SortingTest, TinytorchLinksFromTheInstalledPackage) {
  const tinytorch::Tensor a = tinytorch::Tensor::FromData(std::vector<float>{1, 2, 3, 4}, {2, 2});
  EXPECT_EQ(tinytorch::MatMul(a, a).ToVector(), (std::vector<float>{7, 10, 15, 22}));
}

}  // namespace
}  // namespace downstream
