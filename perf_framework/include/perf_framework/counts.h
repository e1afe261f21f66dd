// Instruction counts of Google Benchmark benchmarks, measured under Valgrind's callgrind: the work a
// benchmark's loop does, deterministic where wall time on a shared machine is not (separate runs of
// one binary drift by a median 7% on a 2-core VM; the same count differs by a few instructions).
//
// How a count is taken (CountBenchmarks): each benchmark runs alone in its own process, under
// callgrind, pinned to one CPU, with --benchmark_min_time=0 so that each call of the benchmark
// function runs its loop once (or the iterations the benchmark fixes itself), and twice
// (--benchmark_repetitions=2) so the counted call is a warm one. Callgrind dumps its counters when
// benchmark::State::StartKeepRunning returns and again when FinishKeepRunning is entered, so one
// dump holds exactly the loop. What Google Benchmark's loop adds to it is measured on an empty
// benchmark (the probe, tinyperf-count-probe) at 1 and 1000 iterations and removed: a fixed part
// per loop and a part per iteration. The figure is per iteration of the body, the same whatever
// the iteration count.
//
// Valgrind runs AVX2 but not AVX-512: binaries built with -march=native on an AVX-512 machine stop
// with SIGILL. CountBenchmarks reports that as an error naming the cure (the `portable` preset);
// TT_SIMD_LEVEL=avx2 is set for the child unless the caller set it, so tinytorch's runtime
// dispatch picks a path Valgrind can run, and the binary's own context says which path ran.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace perf {

// One callgrind dump ("part") of an output file: what triggered it and its event totals.
struct CallgrindPart {
  std::string trigger;                   // "--dump-before=benchmark::State::FinishKeepRunning()"
  std::map<std::string, double> events;  // "Ir", "D1mr", ... -> count
};
// Reads the header of one callgrind output file (`events:` and `totals:` or `summary:` lines,
// `desc: Trigger:`). Throws perf::Error naming `source` when they are missing or malformed.
CallgrindPart ParseCallgrindPart(std::string_view text, const std::string& source);

// The counters a count reports, each the sum of callgrind events (one table: kCountCounters in
// counts.cc): instructions (Ir), l1d_misses (D1mr + D1mw), ll_misses (DLmr + DLmw + ILmr: the
// simulated last-level cache, data and instructions) and branch_mispredicts (Bcm + Bim). Events
// absent from a dump (no cache simulation) leave their counter out.
std::map<std::string, double> CountersFromEvents(const std::map<std::string, double>& events);

// The loop's own cost, per counter: a fixed part per call of the benchmark function and a part
// per iteration, from an empty benchmark's loop at 1 and at `many` iterations.
struct HarnessCost {
  std::map<std::string, double> fixed, per_iteration;
};
HarnessCost HarnessFromProbe(const std::map<std::string, double>& one_iteration,
                             const std::map<std::string, double>& many_iterations, int64_t many);
// The body's cost per iteration: (loop − fixed) / iterations − per_iteration, each counter clamped
// at zero (a cache-miss counter can be below the probe's).
std::map<std::string, double> PerIteration(const std::map<std::string, double>& loop,
                                           int64_t iterations, const HarnessCost& harness);

struct CountOptions {
  std::string binary;
  std::string filter = ".*";                // Google Benchmark regex, as --benchmark_filter
  std::vector<std::string> benchmark_args;  // passed before count's own flags (which win)
  std::string probe;                        // the empty-benchmark binary; "" = beside /proc/self/exe
  std::string valgrind = "valgrind";        // looked up on PATH
  bool cache_sim = true;                    // cache and branch simulation (about 2x slower)
  double timeout_seconds = 900;             // per benchmark; a longer one is killed, an error
  std::string work_dir;                     // callgrind's files; "" = a fresh temporary directory
};

struct BenchmarkCount {
  std::string name;
  int64_t iterations = 0;                   // in the counted (last) call
  std::map<std::string, double> counters;   // per iteration, harness removed
  std::map<std::string, double> loop;       // the raw dump of the counted loop
  std::string error;                        // non-empty: no count (the reason)
};

struct CountRun {
  std::string binary;
  nlohmann::json context;  // the binary's Google Benchmark context plus "count": how it was taken
  HarnessCost harness;
  std::vector<BenchmarkCount> benchmarks;
};

// Counts every benchmark of options.binary matching options.filter (listed natively first, with
// --benchmark_list_tests). This process is pinned to one CPU for the duration (so libraries that
// size thread pools by the CPUs they may use run one thread, and counts do not depend on how
// threads were scheduled). `progress` gets one line per benchmark. Throws perf::Error when
// Valgrind or the probe is missing or the binary cannot be listed; a benchmark that fails under
// Valgrind is a BenchmarkCount with its error (SIGILL named as an instruction Valgrind lacks).
CountRun CountBenchmarks(const CountOptions& options,
                         const std::function<void(const std::string&)>& progress = nullptr);

// Google Benchmark JSON: one "iteration" entry per benchmark with the counters as user counters
// and no times (there are none to report), "error_occurred" for failed ones; context as above.
nlohmann::json CountRunToJson(const CountRun& run);

// The key counts are stored under in validation_results/baselines/counts/: what decides a count
// besides the source — compiler, -march, the SIMD path — and not the machine, e.g.
// "gcc-12.2.0-portable-avx2". From a count file's context (the benchmark binary's
// tinytorch_compiler / tinytorch_march and the count's tt_simd_level); "unknown" for a part a
// binary does not record.
std::string CountBaselineKey(const nlohmann::json& context);

// --- comparing counts ---------------------------------------------------------------------------
// Counts are deterministic, so the decision rule is not a significance test: the relative change
// of one number. A/A counts of this repository's gate suite differ by exactly 0 (measured: see
// README); a change within `jitter` is "identical", beyond the threshold a regression or an
// improvement, in between "unchanged" with its size stated.

// The counter names `tinyperf compare --metric` takes for count files.
bool IsCountMetric(const std::string& metric);

// One file's counts: benchmark name -> counter -> value per iteration, in file order. Reads the
// JSON CountRunToJson writes (and any Google Benchmark JSON with such counters). Throws
// perf::Error naming `source` and the entry when a counter is missing, negative or not finite.
struct CountSet {
  std::string source;
  nlohmann::json context;
  std::vector<std::pair<std::string, std::map<std::string, double>>> benchmarks;
  std::vector<std::pair<std::string, std::string>> errors;  // benchmarks that were not counted
};
CountSet ParseCounts(const nlohmann::json& j, const std::string& source);
// A count file, or every *.json file of a directory (scripts/count.sh --out, a baseline directory)
// as one set, the first file's context kept. Throws perf::Error naming the file that cannot be
// read, and both files when a benchmark appears in two.
CountSet ReadCounts(const std::string& path);

struct CountChange {
  std::string name;
  double baseline = 0, current = 0;  // the compared counter, per iteration
  double change_pct = 0;             // current / baseline − 1, in %
  std::string verdict;               // "regression", "improvement", "unchanged", "identical"
  std::string severity;              // regressions: "minor" (< 2 thresholds), "moderate" (< 5), "severe"
  // The other counters of the same benchmark (baseline, current), for "why".
  std::map<std::string, std::pair<double, double>> others;
};

struct CountComparison {
  std::string metric, baseline_source, current_source;
  double threshold_pct = 1, jitter_pct = 0;
  std::vector<CountChange> changes;
  std::vector<std::string> only_baseline, only_current, warnings;
  // Counted in the baseline, not now (absent, or an error): ComparisonReport::not_measured.
  std::vector<std::string> not_measured;
  int regressions = 0, improvements = 0;
  std::string ToText() const;
  std::string ToMarkdown() const;
  nlohmann::json ToJson() const;
};

// threshold_pct: a change beyond it is a regression (or an improvement); jitter_pct: at most this
// is "identical". Warns when the two files' counts were taken differently (tool, ISA path, cache
// model): such counts are not comparable and the warning says which field differs.
CountComparison CompareCounts(const CountSet& baseline, const CountSet& current,
                              const std::string& metric, double threshold_pct, double jitter_pct);

}  // namespace perf
