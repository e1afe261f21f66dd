// What a validation run folder (validation_results/<UTC start>/) holds per benchmark, read in one
// place for the report and the history: median times from its Google Benchmark runs
// (bench/*_bench.json from the nightly, else *_bench.json from run_all) and, when the run was
// counted, instructions per iteration from counts/*.json (`tinyperf count` files, written by
// `TT_COUNTS=1 scripts/run_all.sh` or `scripts/count.sh --out RUN_DIR/counts`).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace perf {

struct RunBenchmarks {
  std::vector<std::pair<std::string, double>> median_ns;  // benchmark -> median time, file order
  // benchmark -> counter ("instructions", "l1d_misses", ...) -> per iteration, file order
  std::vector<std::pair<std::string, std::map<std::string, double>>> counts;
  std::vector<std::string> warnings;  // files skipped, and why; benchmarks counted twice
};

// Reads what `run_dir` has; a file that cannot be read is a warning, not an error (one broken
// file must not hide a run). Empty when the folder has neither.
RunBenchmarks ReadRunBenchmarks(const std::string& run_dir);

}  // namespace perf
