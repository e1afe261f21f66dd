// The noise stage of regression detection (regression.h): A/A comparisons (the very same binary
// on both sides) measure what `compare` can resolve on this machine, how often it raises a false
// alarm and how far whole runs drift apart; the resulting noise profile feeds later comparisons
// (their drift and their warnings).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "perf_framework/gbench_json.h"
#include "perf_framework/regression_compare.h"
#include "perf_framework/statistics.h"

namespace perf {

struct FamilyNoise {
  std::string family;  // the benchmark name up to its first '/'
  int benchmarks = 0;
  double median_abs_change_pct = 0;  // A/A: should be near 0
  double resolution_pct = 0;        // the widest A/A interval half-width: smaller changes are noise
  double process_drift_pct = kNaN;  // the median of its benchmarks' drift
};

// Between-process drift of one benchmark: BetweenGroupVariance of its log times with the runs as
// groups, as a standard deviation in % of the time.
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
  // Runs per side at which a change of threshold_pct is significant 4 times in 5 (Holm over the
  // whole suite) for the median benchmark's drift: what the nightly should run. 0 when unknown.
  // Called a regression it also needs an estimate beyond the threshold: ToText says from what
  // true change that happens 4 times in 5.
  int recommended_runs = 0;
  int benchmarks = 0, false_alarms = 0;  // A/A benchmarks compared; of them, called regressions
  double false_alarm_rate = 0, false_alarm_low = 0, false_alarm_high = 0;  // Wilson 95%
  // false_alarm_rate × benchmarks: false regressions to expect when comparing the whole suite
  // once with these settings.
  double expected_false_alarms = 0;

  nlohmann::json ToJson() const;
  static NoiseProfile FromJson(const nlohmann::json& j, const std::string& source);
  // A profile file; throws perf::Error naming `path` when it cannot be read or is not a profile.
  static NoiseProfile Read(const std::string& path);
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

// The held-out A/A protocol of `tinyperf calibrate`, on the runs of one binary in the order they
// ran: a0 b0 a1 b1 ... (2 × rounds runs of the very same binary, rounds >= 3). Each pair (a_k, b_k)
// is compared as the nightly compares two single runs, with the drift estimated from the other
// runs only, so every regression it finds is an out-of-sample false alarm.
struct AAComparison {
  std::vector<BenchmarkDrift> drift;  // ProcessDrift of all the runs
  ComparisonReport pairs;             // the first pair's report, with every pair's changes
};
// Throws perf::Error when the runs are not 3 or more pairs, or when ProcessDrift does.
AAComparison CompareAAPairs(const std::vector<BenchmarkRun>& runs, double threshold);

// What a noise profile (read from `source`) says about `report`, a comparison at `threshold_pct`,
// as warnings for it (tinyperf compare --noise). A profile without drift (version 1) warns that
// the repetitions of one run overstate significance, and names every benchmark whose family's A/A
// resolution exceeds the threshold; a profile with drift says that it joined every interval and
// how many runs per side make its threshold significant. Both say how many false regressions to
// expect in a comparison of the whole suite.
std::vector<std::string> NoiseWarnings(const NoiseProfile& profile, const std::string& source,
                                       const ComparisonReport& report, double threshold_pct);

}  // namespace perf
