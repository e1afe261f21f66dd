// Google Benchmark JSON (--benchmark_out / --benchmark_format=json) read into samples, the first
// stage of regression detection (regression.h): every repetition is one sample; several runs of
// one binary merge into one. The metric compared is chosen here, in one table.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace perf {

// What is compared, one row per metric: its --metric name, which is also the field Google
// Benchmark writes it under, and the unit its samples have once read (times are normalized to ns
// with each entry's time_unit).
struct BenchmarkMetric {
  const char* name;
  const char* unit;
};
inline constexpr BenchmarkMetric kBenchmarkMetrics[] = {{"real_time", "ns"}, {"cpu_time", "ns"}};
inline constexpr const char* kDefaultBenchmarkMetric = "real_time";
// The metric named `name`; throws perf::Error listing the known ones ("metric 'wall' must be
// real_time or cpu_time").
const BenchmarkMetric& FindBenchmarkMetric(std::string_view name);
// "real_time or cpu_time": the names, for messages and help texts.
std::string BenchmarkMetricNames();

struct BenchmarkSamples {
  std::string name;             // run_name: "BM_MatMulSimd/n:256/real_time"
  std::vector<double> samples;  // in the metric's unit (ns per iteration), one per repetition
  bool aggregate_only = false;  // samples holds the one reported median (or mean)
  std::string error;            // the benchmark reported error_occurred
  std::vector<size_t> runs;     // samples per run (process), in order; see MergeRuns
  int processes() const { return runs.empty() ? 1 : static_cast<int>(runs.size()); }
};

struct BenchmarkRun {
  std::string source;
  std::vector<BenchmarkSamples> benchmarks;  // in file order
  nlohmann::json context;                    // Google Benchmark's "context" (host, CPUs, ...)
  std::string unit = "ns";                   // of every sample: the metric's (kBenchmarkMetrics)
};

// metric: a kBenchmarkMetrics name. Throws perf::Error naming `source`, the entry and the field on
// malformed input (not JSON, no benchmarks array, a missing or non-numeric time, an unknown time
// unit, a time of `metric` that is zero, negative, subnormal or overflows once in ns: no clock
// measures those).
// A file holding only aggregates (--benchmark_report_aggregates_only) gives one value per
// benchmark (its median, else its mean), marked aggregate_only.
BenchmarkRun ParseGoogleBenchmark(const nlohmann::json& j, const std::string& source,
                                  const std::string& metric = kDefaultBenchmarkMetric);
BenchmarkRun ReadGoogleBenchmark(const std::string& path,
                                 const std::string& metric = kDefaultBenchmarkMetric);

// Several runs of the same binary as one: each benchmark's samples concatenated, the first run's
// context kept. Alternating baseline and current runs (A B A B ...) and merging each side shares
// the machine's drift between the sides, which back-to-back single runs do not (on a shared VM
// whole processes ran up to 15% apart). Each benchmark keeps which samples came from which run
// (BenchmarkSamples::runs). Throws if a benchmark has repetitions in one run and only
// aggregates in another.
BenchmarkRun MergeRuns(const std::vector<BenchmarkRun>& runs, const std::string& source);

// Natural logs of times, the scale comparisons work on (a change of time is a ratio); a zero time
// counts as 1e-300 so that its log stays finite.
std::vector<double> LogSamples(const std::vector<double>& samples);
// A benchmark's log samples split into its runs (BenchmarkSamples::runs), one vector per run.
std::vector<std::vector<double>> LogSamplesByRun(const BenchmarkSamples& b);

}  // namespace perf
