// Regression detection between two runs of the same benchmarks, stage by stage:
//   gbench_json.h        Google Benchmark JSON read into samples; runs of one binary merged
//   regression_compare.h the comparison, benchmark by benchmark, and its report (text, Markdown,
//                        JSON: regression_render.cc)
//   noise_profile.h      A/A calibration: drift between runs, resolution, false alarms
// and, here, what `tinyperf compare` does with two paths.
//
// Inputs are Google Benchmark JSON (--benchmark_out / --benchmark_format=json). Run with
// --benchmark_repetitions=N: every repetition is one sample.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "perf_framework/gbench_json.h"
#include "perf_framework/noise_profile.h"
#include "perf_framework/regression_compare.h"
#include "perf_framework/report.h"

namespace perf {

struct CompareFilesOptions {
  double threshold_pct = 10;                     // CompareOptions::threshold, in %
  double alpha = 0.05;                           // CompareOptions::alpha
  std::string metric = kDefaultBenchmarkMetric;  // kBenchmarkMetrics
  std::string noise_profile;  // a profile from tinyperf calibrate (a path), or empty
};

// Two runs compared, whichever kind they were: exactly one of the two is set.
struct FileComparison {
  std::optional<ComparisonReport> benchmarks;        // Google Benchmark runs
  std::optional<std::vector<VerdictChange>> claims;  // two results files (CompareToBaseline)
};

// `tinyperf compare BASELINE CURRENT`, the kind of input told from the content. Google Benchmark
// JSON is compared benchmark by benchmark (CompareRuns); either side may be a directory of such
// files, runs of one binary merged (MergeRuns). Two results files (suite.h) are compared claim by
// claim. With a noise profile, its drift joins every interval and its NoiseWarnings join the
// report's warnings. Throws perf::Error naming the file that cannot be read, is neither kind, or
// is not the other side's kind, and the profile that is not one.
FileComparison CompareFiles(const std::string& baseline, const std::string& current,
                            const CompareFilesOptions& options = {});

}  // namespace perf
