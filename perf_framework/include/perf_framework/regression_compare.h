// The comparison stage of regression detection (regression.h): per benchmark, the change of the
// median time with a distribution-free interval (Hodges–Lehmann on log times), a two-sided
// Mann–Whitney U p-value (SciPy's mannwhitneyu), Holm's correction across the comparison, and a
// verdict that needs both significance and a change beyond the threshold. Benchmarks read from
// aggregates only (one value per side) get a clearly labelled threshold-only comparison.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "perf_framework/gbench_json.h"
#include "perf_framework/statistics.h"
#include "perf_framework/verdict.h"

namespace perf {

struct CompareOptions {
  double threshold = 0.10;  // a regression is slower by more than this (10%)
  double alpha = 0.05;      // family-wise, after Holm's correction
  double confidence = 0.95;
  // Process drift: the standard deviation of a benchmark's log time between runs (processes) of
  // the same binary, beyond what the repetitions inside one run show; NaN or no function when
  // unknown. Repetitions of one run share their process's offset, so alone they overstate how
  // sure a comparison of single runs can be (A/A single runs on a shared VM were called
  // regressions 15 times in 95). The drift used is the larger of this one (from a noise profile,
  // NoiseProfile::DriftFor) and the one the runs show themselves when a side has several; the
  // change's interval and p-value then also carry drift² · (1/runs_baseline + 1/runs_current).
  std::function<double(const std::string& benchmark)> process_drift = nullptr;
};

// BenchmarkChange::method of a comparison without a significance test (one value on a side).
inline constexpr const char* kThresholdOnlyMethod = "threshold only";

struct BenchmarkChange {
  std::string name, unit = "ns";  // the unit of the medians: the run's (BenchmarkRun::unit)
  double baseline_median = 0, current_median = 0;
  double change_pct = 0;  // current / baseline − 1, in %, from the Hodges–Lehmann log shift
  double ci_low_pct = 0, ci_high_pct = 0;  // NaN when there is no interval
  double p_value = 1, p_value_adjusted = 1;
  int n_baseline = 0, n_current = 0;
  int runs_baseline = 1, runs_current = 1;  // processes behind the samples
  ChangeVerdict verdict = ChangeVerdict::kInconclusive;
  std::string severity;  // regressions: "minor" (10–20%), "moderate" (20–50%), "severe" (> 50%)
  std::string method;    // "mann-whitney (exact)", "... (asymptotic)", "threshold only"
  std::string reason;    // one sentence with the numbers
  int repetitions_to_settle = 0;    // inconclusive: per side, the estimate of what would decide it
  double process_drift_pct = kNaN;  // the drift accounted for, as a % of the time (NaN: none)
  int runs_to_settle =
      0;  // inconclusive under drift: runs per side (alternating) that would decide
};

struct ComparisonReport {
  std::string baseline_source, current_source;
  CompareOptions options;
  std::vector<BenchmarkChange> changes;  // benchmarks present in both, in the current file's order
  std::vector<std::string> only_in_baseline, only_in_current;
  // Benchmarks the baseline measured that the current run did not (absent, or an error now): a
  // comparison cannot vouch for them, so the gate fails on them (tinyperf compare exits 1 unless
  // --allow-missing); also a warning. Sorted.
  std::vector<std::string> not_measured;
  std::vector<std::string> warnings;  // e.g. different machines, errored benchmarks
  int regressions = 0;
  std::string unit = "ns";  // of every median: the current run's (BenchmarkRun::unit)

  std::string ToText() const;
  std::string ToMarkdown() const;
  nlohmann::json ToJson() const;
  // The families (BenchmarkFamily) of the benchmarks called regressions, sorted, each once: what
  // scripts/confirm.sh reruns (`tinyperf compare --format families`).
  std::vector<std::string> RegressedFamilies() const;
};

// A benchmark's family: its name up to the first '/' ("BM_MatMul" of "BM_MatMul/n:256").
std::string BenchmarkFamily(const std::string& name);

// The verdict rule, for one benchmark (p_adjusted already Holm-corrected):
//   regression    p_adjusted < alpha and the estimated slowdown > threshold
//   improvement   p_adjusted < alpha and the estimated speedup is beyond the threshold
//                 (change < 1/(1 + threshold) − 1)
//   unchanged     the whole interval lies within ±threshold (equivalence shown)
//   inconclusive  anything else; repetitions_to_settle estimates what would decide it
ComparisonReport CompareRuns(const BenchmarkRun& baseline, const BenchmarkRun& current,
                             const CompareOptions& options = {});

// The warning of a comparison (of times or of counts) whose current side did not measure
// `names`, benchmarks its baseline measured; the first ten named.
std::string NotMeasuredWarning(const std::vector<std::string>& names);

}  // namespace perf
