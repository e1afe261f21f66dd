// A stored series → its change points, by the same rules as `tinyperf history` (history.h): one
// value per run (the median of its repetitions, from the nightly's bench/ documents when the run
// has any, as run_folder.h reads a run folder), then FindChangePoints for times and CountSteps for
// instruction counts, which are exact. Pure: store.cc reads the rows and records the result.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "perf_framework/history.h"

namespace perf::store {

// The metrics whose changes the store detects and records, with the rule for each.
struct DetectedMetric {
  const char* name;  // the samples' metric
  bool exact;        // an instruction count: every step beyond 1% (CountSteps)
};
inline constexpr DetectedMetric kDetectedMetrics[] = {{"real_time", false}, {"instructions", true}};

// One stored repetition of one benchmark's metric, its run's rows together, oldest run first.
struct RunSample {
  int64_t run_id = 0;
  std::string document;  // "bench/matmul_bench.1.json", "matmul_bench.json", "counts/x.json"
  double value = 0;
};

struct DetectedChange {
  int64_t run_id = 0;  // the first run after the shift
  ChangePoint point;
  size_t runs = 0;  // the series' length
};

// The value of each run, in order: the median of its bench/ samples when it has any, else of all.
struct PerRun {
  std::vector<int64_t> run_ids;
  std::vector<double> values;
};
PerRun PerRunValues(const std::vector<RunSample>& samples);

std::vector<DetectedChange> DetectInSeries(const std::vector<RunSample>& samples, bool exact);

}  // namespace perf::store
