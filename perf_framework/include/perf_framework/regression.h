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

#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace perf {

struct BenchmarkSamples {
  std::string name;             // run_name: "BM_MatMulSimd/n:256/real_time"
  std::vector<double> samples;  // ns per iteration, one per repetition
  bool aggregate_only = false;  // samples holds the one reported median (or mean)
  std::string error;            // the benchmark reported error_occurred
  std::vector<size_t> runs;     // samples per run (process), in order; see MergeRuns
  int processes() const { return runs.empty() ? 1 : static_cast<int>(runs.size()); }
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
// whole processes ran up to 15% apart). Each benchmark keeps which samples came from which run
// (BenchmarkSamples::runs). Throws if a benchmark has repetitions in one run and only
// aggregates in another.
BenchmarkRun MergeRuns(const std::vector<BenchmarkRun>& runs, const std::string& source);

enum class ChangeVerdict { kRegression, kImprovement, kUnchanged, kInconclusive };
const char* ChangeVerdictName(ChangeVerdict v);  // "regression", "improvement", ...

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

struct BenchmarkChange {
  std::string name, unit = "ns";
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
  int repetitions_to_settle = 0;   // inconclusive: per side, the estimate of what would decide it
  double process_drift_pct = NAN;  // the drift accounted for, as a % of the time (NaN: none)
  int runs_to_settle =
      0;  // inconclusive under drift: runs per side (alternating) that would decide
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
  double resolution_pct = 0;       // the widest A/A interval half-width: smaller changes are noise
  double process_drift_pct = NAN;  // the median of its benchmarks' drift
};

// Between-process drift of one benchmark: the one-way random-effects ANOVA (method of moments)
// on log times, runs as groups: max(0, variance of the run means − mean within-run variance /
// repetitions), as a standard deviation in % of the time.
struct BenchmarkDrift {
  std::string name;
  int runs = 0;  // runs (processes) measured
  double process_drift_pct = 0;
};
// Needs at least 3 runs of every benchmark with at least 2 repetitions each; throws otherwise.
std::vector<BenchmarkDrift> ProcessDrift(const std::vector<BenchmarkRun>& runs);

struct NoiseProfile {
  std::string fingerprint;
  int rounds = 0, repetitions = 0;  // A/A pairs of runs; repetitions per run
  double threshold_pct = 0;
  std::vector<FamilyNoise> families;
  std::vector<BenchmarkDrift> drift;  // empty in version-1 profiles
  // Runs per side at which a change of threshold_pct is found (80% power, Holm over the whole
  // suite) for the median benchmark's drift: what the nightly should run. 0 when unknown.
  int recommended_runs = 0;
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
  // The log-time drift to assume for `benchmark` (CompareOptions::process_drift): its own,
  // raised to its family's median (a few runs estimate one benchmark's drift loosely); a
  // benchmark the profile lacks gets its family's, else the median over all. NaN in a profile
  // without drift.
  double DriftFor(const std::string& benchmark) const;
};

// From A/A comparisons (every change in them is noise) and, when given, the drift of the runs
// behind them (ProcessDrift).
NoiseProfile ProfileFromAA(const std::vector<ComparisonReport>& aa, const std::string& fingerprint,
                           int rounds, int repetitions,
                           const std::vector<BenchmarkDrift>& drift = {});

}  // namespace perf
