// Calibration, the protocol behind `tinyperf calibrate`: A/A runs of Google Benchmark binaries on
// this machine (the very same binary on both sides), compared pair by pair as the nightly compares
// two runs (CompareAAPairs), summed up into a noise profile (ProfileFromAA) that later
// comparisons read (`compare --noise`, the nightly's run count).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "perf_framework/noise_profile.h"
#include "perf_framework/regression_compare.h"

namespace perf {

struct CalibrateOptions {
  int rounds = 3;           // pairs of runs per binary (>= 3: the held-out drift needs the others)
  int repetitions = 10;     // --benchmark_repetitions per run, as the nightly's runs
  double min_time_s = 0.1;  // --benchmark_min_time per repetition
  double threshold_pct = 10;  // the regression threshold the false alarms are counted at
  std::string filter;         // --benchmark_filter for every binary; empty: all
  std::string work_dir = "build/calibrate";  // scratch: <work_dir>/<name>/{a,b}/<round>.json
};

// What Calibrate reports while it works, for the caller to render; either may be empty.
struct CalibrateProgress {
  std::function<void(const std::string& binary_name)> starting;  // before its runs
  // After its runs are compared: `pairs` holds every pair's changes; each regression in it is a
  // false alarm (an A/A comparison has nothing to find).
  std::function<void(const std::string& binary_name, const ComparisonReport& pairs)> compared;
};

// The command line that runs `binary` once for calibration, its JSON to `out` (each argument
// shell-quoted; stdout and stderr discarded).
std::string CalibrationCommand(const std::string& binary, const std::string& out,
                               const CalibrateOptions& options);

// Runs each binary 2 × rounds times, alternating sides (a0 b0 a1 b1 ...) so that drift over time
// falls on both, into a fresh <work_dir>/<binary name>/; compares each binary's pairs
// (CompareAAPairs) and returns the profile of all of them for `fingerprint`. Throws perf::Error
// naming the binary when a run fails, writes no readable JSON, or runs zero benchmarks.
NoiseProfile Calibrate(const std::vector<std::string>& binaries, const std::string& fingerprint,
                       const CalibrateOptions& options, const CalibrateProgress& progress = {});

}  // namespace perf
