// PerformanceComparator: is the candidate faster than the baseline, by how much, how sure?
//
// Design. Both callables run in paired, interleaved rounds: A B B A in even rounds, B A A B in odd
// ones, with the same iteration count for both, so linear drift and periodic noise hit both
// equally; the count varies from round to round (±20%) so periodic noise cannot stay in phase. Each
// round gives one speedup, time(A) / time(B). The estimate is the median speedup with a
// distribution-free order-statistic interval, and the p-value is the sign test of "median speedup =
// 1": no normality assumption, robust to interrupted rounds.
//
// Sequential looks. Checking after every round and stopping at the first significant result would
// inflate false positives far beyond alpha. Instead the data is examined at a few planned looks
// (min_rounds, 2×, 4×, ... up to max_rounds) and each look spends alpha / looks (Bonferroni), so
// the whole procedure's false-positive rate stays at or below alpha.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "perf_framework/timer.h"
#include "perf_framework/verdict.h"

namespace perf {

struct ComparatorOptions {
  double alpha = 0.05;               // family-wise, over all looks
  double equivalence_margin = 0.01;  // "equivalent" when the speedup interval lies in ±1%
  int min_rounds = 16;               // first look; later looks double it
  int max_rounds = 256;              // last look
  double max_seconds = 10.0;         // stops at the next look after this (or at once if over 2×)
  // Per run inside a round. Runs of a single microsecond-scale call let one interrupt decide a
  // round (a 64x64 GEMM's 16 rounds once took 1 ms in all, 4 of them 5x off); 1 ms runs
  // average such hiccups away. 0: the timer's automatic length (10 us on this machine).
  double min_sample_seconds = 1e-3;
  uint64_t seed = 1;
};

struct ComparisonResult {
  std::string name;
  Verdict verdict = Verdict::kInconclusive;
  std::string reason;      // one sentence, with the numbers
  Interval speedup;        // median of time(baseline)/time(candidate), with its interval
  double p_value = 1;      // sign test at the final look
  double effect_size = 0;  // median log speedup / robust SD of the log speedups
  // The smallest |change| this run's sign test detects 4 times in 5 at its look's level (normal
  // approximation, from the spread of the log speedups).
  double minimum_detectable_change = 0;
  int rounds = 0;
  int looks = 0;
  int64_t iterations_per_run = 0;  // calibrated base; each round varies it by up to ±20%
  int rounds_to_settle = 0;        // inconclusive only: estimated rounds a decision would need
  double speedup_lag1 = 0;         // should be near 0: pairing cancels drift
  double baseline_drift_lag1 = 0;  // drift of the machine itself during the comparison
  double baseline_median_ns = 0, candidate_median_ns = 0;  // per call
  std::vector<double> speedups;                            // one per round
  bool outputs_checked = false;
  bool outputs_equal = false;
  std::vector<std::string> warnings;
  double elapsed_seconds = 0;
  std::string error;  // set with Verdict::kError

  nlohmann::json ToJson() const;
};

class PerformanceComparator {
 public:
  explicit PerformanceComparator(ComparatorOptions options = {}, Clock& clock = DefaultClock());

  // Compares baseline() against candidate(). If `outputs_equal` is given it runs first; when it
  // returns false (or throws) the result is an error and nothing is timed. Exceptions thrown by
  // the callables become kError results.
  template <class A, class B>
  ComparisonResult Compare(const std::string& name, A&& baseline, B&& candidate,
                           const std::function<bool()>& outputs_equal = nullptr) {
    return CompareBatches(
        name,
        [&baseline](int64_t n) {
          for (int64_t i = 0; i < n; ++i) baseline();
        },
        [&candidate](int64_t n) {
          for (int64_t i = 0; i < n; ++i) candidate();
        },
        outputs_equal);
  }

  ComparisonResult CompareBatches(const std::string& name,
                                  const std::function<void(int64_t)>& baseline,
                                  const std::function<void(int64_t)>& candidate,
                                  const std::function<bool()>& outputs_equal = nullptr);

  // The look schedule: min_rounds, 2·min_rounds, ... capped at max_rounds (always the last look).
  std::vector<int> LookSchedule() const;

 private:
  ComparatorOptions options_;
  Clock& clock_;
  ScientificTimer timer_;
};

// The decision rule alone, on per-round speedups at one look, at the given per-look confidence.
// Exposed so it can be tested on synthetic speedups with known truth.
ComparisonResult DecideFromSpeedups(std::vector<double> speedups, double look_confidence,
                                    double equivalence_margin);

}  // namespace perf
