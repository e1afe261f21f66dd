// Regression detection between two runs of the same benchmarks: per benchmark, the change of the
// median time with a distribution-free interval (Hodges–Lehmann on log times), a two-sided
// Mann–Whitney U p-value (SciPy's mannwhitneyu), Holm's correction across the comparison, and a
// verdict that needs both significance and a change beyond the threshold.
//
// Inputs are Google Benchmark JSON (--benchmark_out / --benchmark_format=json). Run with
// --benchmark_repetitions=N: every repetition is one sample. A file holding only aggregates
// (--benchmark_report_aggregates_only) gives one value per benchmark, and such benchmarks get a
// clearly labelled threshold-only comparison.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace perf {

struct BenchmarkSamples {
  std::string name;             // run_name: "BM_MatMulSimd/n:256/real_time"
  std::vector<double> samples;  // ns per iteration, one per repetition
  bool aggregate_only = false;  // samples holds the one reported median (or mean)
  std::string error;            // the benchmark reported error_occurred
};

struct BenchmarkRun {
  std::string source;
  std::vector<BenchmarkSamples> benchmarks;  // in file order
  nlohmann::json context;                    // Google Benchmark's "context" (host, CPUs, ...)
};

// metric: "real_time" or "cpu_time"; times are normalized to ns using each entry's time_unit.
// Throws perf::Error naming `source` and the entry on malformed input (not JSON, no benchmarks
// array, a missing or non-numeric time, an unknown time unit).
BenchmarkRun ParseGoogleBenchmark(const nlohmann::json& j, const std::string& source,
                                  const std::string& metric = "real_time");
BenchmarkRun ReadGoogleBenchmark(const std::string& path, const std::string& metric = "real_time");

// Several runs of the same binary as one: each benchmark's samples concatenated, the first run's
// context kept. Alternating baseline and current runs (A B A B ...) and merging each side shares
// the machine's drift between the sides, which back-to-back single runs do not (on a shared VM
// whole processes ran up to 15% apart). Throws if a benchmark has repetitions in one run and
// only aggregates in another.
BenchmarkRun MergeRuns(const std::vector<BenchmarkRun>& runs, const std::string& source);

enum class ChangeVerdict { kRegression, kImprovement, kUnchanged, kInconclusive };
const char* ChangeVerdictName(ChangeVerdict v);  // "regression", "improvement", ...

struct CompareOptions {
  double threshold = 0.10;  // a regression is slower by more than this (10%)
  double alpha = 0.05;      // family-wise, after Holm's correction
  double confidence = 0.95;
};

struct BenchmarkChange {
  std::string name, unit = "ns";
  double baseline_median = 0, current_median = 0;
  double change_pct = 0;  // current / baseline − 1, in %, from the Hodges–Lehmann log shift
  double ci_low_pct = 0, ci_high_pct = 0;  // NaN when there is no interval
  double p_value = 1, p_value_adjusted = 1;
  int n_baseline = 0, n_current = 0;
  ChangeVerdict verdict = ChangeVerdict::kInconclusive;
  std::string severity;  // regressions: "minor" (10–20%), "moderate" (20–50%), "severe" (> 50%)
  std::string method;    // "mann-whitney (exact)", "... (asymptotic)", "threshold only"
  std::string reason;    // one sentence with the numbers
  int repetitions_to_settle = 0;  // inconclusive: per side, the estimate of what would decide it
};

struct ComparisonReport {
  std::string baseline_source, current_source;
  CompareOptions options;
  std::vector<BenchmarkChange> changes;  // benchmarks present in both, in the current file's order
  std::vector<std::string> only_in_baseline, only_in_current;
  std::vector<std::string> warnings;  // e.g. different machines, errored benchmarks
  int regressions = 0;

  std::string ToText() const;
  std::string ToMarkdown() const;
  nlohmann::json ToJson() const;
};

// The verdict rule, for one benchmark (p_adjusted already Holm-corrected):
//   regression    p_adjusted < alpha and the estimated slowdown > threshold
//   improvement   p_adjusted < alpha and the estimated speedup is beyond the threshold
//                 (change < 1/(1 + threshold) − 1)
//   unchanged     the whole interval lies within ±threshold (equivalence shown)
//   inconclusive  anything else; repetitions_to_settle estimates what would decide it
ComparisonReport CompareRuns(const BenchmarkRun& baseline, const BenchmarkRun& current,
                             const CompareOptions& options = {});

// ---------------------------------------------------------------------------------------------
// Calibration: A/A comparisons (the same binary on both sides) measure what `compare` can resolve
// on this machine and how often it raises a false alarm.

struct FamilyNoise {
  std::string family;  // the benchmark name up to its first '/'
  int benchmarks = 0;
  double median_abs_change_pct = 0;  // A/A: should be near 0
  double resolution_pct = 0;  // the widest A/A interval half-width: smaller changes are noise
};

struct NoiseProfile {
  std::string fingerprint;
  int rounds = 0, repetitions = 0;  // per side: rounds × repetitions samples
  double threshold_pct = 0;
  std::vector<FamilyNoise> families;
  int benchmarks = 0, false_alarms = 0;  // A/A benchmarks compared; of them, called regressions
  double false_alarm_rate = 0, false_alarm_low = 0, false_alarm_high = 0;  // Wilson 95%
  // false_alarm_rate × benchmarks: false regressions to expect when comparing the whole suite
  // once with these settings.
  double expected_false_alarms = 0;

  nlohmann::json ToJson() const;
  static NoiseProfile FromJson(const nlohmann::json& j, const std::string& source);
  std::string ToText() const;
  // The family's resolution, or NaN when the profile does not cover it.
  double ResolutionFor(const std::string& benchmark) const;
};

// From A/A comparisons (every change in them is noise).
NoiseProfile ProfileFromAA(const std::vector<ComparisonReport>& aa, const std::string& fingerprint,
                           int rounds, int repetitions);

}  // namespace perf
