// Module 19: benchmarking. A result that keeps its raw values and derives its statistics from them
// (with a Student-t interval that says honestly when one value cannot give one) and its lossless
// JSON form; a real Pareto frontier; a runner that measures latency, accuracy, memory and energy of
// any model with a forward, turning a broken model into an ERROR result instead of a crash; suites
// with a Pareto report; and the comparison of optimization techniques against a baseline.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tinytorch/layers.h"
#include "tinytorch/tensor.h"

namespace tinytorch {

struct BenchmarkResult {
  std::string name;            // what was measured, e.g. "mlp/latency"
  std::string metric;          // "latency", "accuracy", "memory", ...
  std::string unit;            // "ms", "fraction", "bytes", ...
  std::vector<double> values;  // every measurement, in order

  // Derived from `values` by FromValues. std is the sample standard deviation (n − 1); with one
  // value it is 0 and the interval is undefined: has_interval is false and ci_low/ci_high are
  // NaN (a single measurement says nothing about spread, so none is invented).
  int64_t count = 0;
  double mean = 0, std = 0, median = 0, min = 0, max = 0;
  double p5 = 0, p25 = 0, p75 = 0, p90 = 0, p95 = 0, p99 = 0;  // NumPy's linear percentiles
  double confidence = 0.95;
  bool has_interval = false;
  double ci_low = 0, ci_high = 0;  // Student-t interval of the mean, t at n − 1 degrees of freedom

  // Throws on no values, a non-finite value, or confidence outside (0, 1).
  static BenchmarkResult FromValues(std::string name, std::string metric, std::string unit,
                                    std::vector<double> values, double confidence = 0.95);

  // Doubles are written in the shortest form that parses back to the same double, so
  // FromJson(ToJson()) gives back the same bits. FromJson validates every field and recomputes the
  // statistics from the values; a field that disagrees with its recomputation throws, naming the
  // field.
  std::string ToJson() const;
  static BenchmarkResult FromJson(const std::string& json);
};

enum class Objective : uint8_t { kMinimize, kMaximize };

// Indices (ascending) of the points no other point dominates. a dominates b when a is at least as
// good in every metric and strictly better in at least one, each metric judged by its objective;
// equal points do not dominate each other, so duplicates stay on the frontier together. points[i]
// holds one value per objective. Throws on a ragged or non-finite input.
std::vector<size_t> ParetoFrontier(const std::vector<std::vector<double>>& points,
                                   const std::vector<Objective>& objectives);

// ---------------------------------------------------------------------------------------------
// The runner.

// Anything with a forward, benchmarked as a black box: a Module, a quantized or pruned copy, a
// fused kernel, a KV-cached decoding step.
struct BenchmarkModel {
  std::string name;
  std::function<Tensor(const Tensor&)> forward;
  int64_t parameters = 0;   // element count
  int64_t state_bytes = 0;  // parameters and buffers as stored (Module::StateBytes)

  // Runs `module` in eval mode without recording gradients; the model shares the module.
  static BenchmarkModel Of(std::string name, std::shared_ptr<Module> module);
};

// A labelled evaluation set: inputs (N, ...) and int64 labels (N). A model's prediction for row i
// is the argmax of its output row, so the output must be (batch, classes). `synthetic_data` marks
// generated data, and every result computed on it says so.
struct EvaluationSet {
  std::string name;
  Tensor inputs, labels;
  bool synthetic_data = false;
  int64_t batch_size = 256;
};

struct BenchmarkOptions {
  double latency_seconds = 0.5;  // ScientificTimer budget per model
  // Wall-clock budget per model, from its first forward to the end of its evaluation. The first
  // forward runs on a watchdog thread: one that has not returned in time gives an ERROR result and
  // is abandoned (it keeps running detached and its output is discarded, since C++ cannot stop a
  // thread; its allocations would still show in the process-wide heap counters). Later phases
  // check the budget between batches and timer runs; a model that hangs only after its first
  // forward cannot be interrupted.
  double time_limit_seconds = 60;
  int64_t memory_limit_bytes = 0;    // peak heap of one forward on the query; 0: no limit
  Shape expected_output_shape = {};  // of the query's output; empty: any shape
  double confidence = 0.95;
};

// Energy per query. No energy counter is readable on most VMs, so by default this is a model:
//   E = kActiveCoreWatts · threads · median latency + kDramJoulesPerByte · bytes moved,
// with bytes moved = state bytes (every weight read once) + bytes allocated by one forward (every
// activation written once), marked `estimated`. The constants are order-of-magnitude figures:
// ~5 W per busy server core, and 640 pJ per 32-bit DRAM read (Horowitz, ISSCC 2014), i.e. 160 pJ
// per byte. When /sys/class/powercap/intel-rapl:0/energy_uj is readable (Intel and recent AMD on
// bare metal), the package energy over a timed loop of forwards is measured instead; it includes
// the idle power of the package and any other work running on it.
struct EnergyEstimate {
  double joules_per_query = 0;
  bool estimated = true;
  std::string method;
};
inline constexpr double kActiveCoreWatts = 5.0;
inline constexpr double kDramJoulesPerByte = 160e-12;

struct ModelBenchmark {
  std::string model;
  bool ok = false;
  std::string error;  // why the result is an ERROR (empty when ok)

  Shape output_shape;       // of the query's output
  BenchmarkResult latency;  // ms per query: one value per timer sample (mean of a calibrated batch)
  bool latency_converged = false;
  std::vector<std::string> warnings;  // the timer's and the runner's

  bool has_accuracy = false;
  std::string dataset;
  bool synthetic_data = false;
  int64_t evaluated = 0, correct = 0;
  double accuracy = 0;
  double accuracy_low = 0, accuracy_high = 0;  // Wilson interval at `latency.confidence`
  std::vector<uint8_t> correct_by_example;     // for paired comparisons between models

  int64_t parameters = 0;
  int64_t state_bytes = 0;
  int64_t peak_activation_bytes = 0;  // highest live heap above the start, one forward
  int64_t allocated_bytes = 0;        // every heap byte one forward allocated
  int64_t memory_bytes() const { return state_bytes + peak_activation_bytes; }

  EnergyEstimate energy;

  std::string ToJson() const;
};

class Benchmark {
 public:
  explicit Benchmark(BenchmarkOptions options = {});

  // Measures one model on `query` (a single input, e.g. a batch of one) and, given `eval`, its
  // accuracy. Never throws for a broken model: a forward that throws, hangs past the time limit,
  // exceeds the memory limit, returns the wrong shape or a non-finite value gives ok = false with
  // the reason. Throws only for bad arguments (an undefined query, a malformed evaluation set).
  ModelBenchmark Run(const BenchmarkModel& model, const Tensor& query,
                     const EvaluationSet* eval = nullptr) const;
  // Each model in turn; one model's ERROR does not stop the others.
  std::vector<ModelBenchmark> RunAll(const std::vector<BenchmarkModel>& models, const Tensor& query,
                                     const EvaluationSet* eval = nullptr) const;

  const BenchmarkOptions& options() const { return options_; }

 private:
  BenchmarkOptions options_;
};

// ---------------------------------------------------------------------------------------------
// MLPerf-style single-stream latency: one query at a time, each timed on its own, so percentiles
// are percentiles of queries (the ScientificTimer's samples are means over batches of queries).

struct SingleStreamOptions {
  int64_t warmup_queries = 10;  // untimed, and at least warmup_seconds of them
  double warmup_seconds = 0.05;
  int windows = 5;  // statistics are the median over windows, robust to one disturbed window
  // Each window runs at least this many queries and this long. 200 queries leave 20 above the
  // 90th percentile and 2 above the 99th.
  int64_t min_queries_per_window = 200;
  double min_window_seconds = 0.1;
  double max_seconds = 30;  // the whole run; windows end early (time_limited) past it
};

struct SingleStreamLatency {
  std::vector<double> query_ms;  // every timed query, in order
  std::vector<int64_t> window_queries;
  std::vector<double> window_p90_ms;
  // Each the median over windows of the window's mean / percentile (NumPy's linear percentiles).
  double mean_ms = 0, p50_ms = 0, p90_ms = 0, p99_ms = 0;
  // max_seconds cut a window short of its minimums: that window is dropped when a full one
  // exists, else it is the only window
  bool time_limited = false;
};

// `now_ns` is the clock (steady_clock when empty); tests pass a fake one. One clock read per query
// boundary, ~20-30 ns on Linux, so queries should take microseconds or more. Throws on options
// that cannot produce a measurement; exceptions from `query` propagate.
SingleStreamLatency MeasureSingleStream(const std::function<void()>& query,
                                        const SingleStreamOptions& options = {},
                                        const std::function<int64_t()>& now_ns = nullptr);

// ---------------------------------------------------------------------------------------------
// Suites and their Pareto report.

enum class SuiteMetric : uint8_t { kLatency, kAccuracy, kMemory, kEnergy };
const char* SuiteMetricName(SuiteMetric m);  // "latency_ms", "accuracy", "memory_bytes", "energy_j"

struct SuiteReport {
  std::string name;
  std::vector<ModelBenchmark> models;
  std::vector<SuiteMetric> metrics;  // the frontier's
  // Over the models that ran (ok): the non-dominated ones, and for each dominated one the first
  // model that dominates it. ERROR models are in neither list.
  std::vector<size_t> frontier;
  std::vector<std::pair<size_t, size_t>> dominated;  // (model, dominated by)
  std::string environment_json;

  std::string ToMarkdown() const;
  std::string ToJson() const;
  // Writes <directory>/<file_stem>.md and .json atomically; creates the directory.
  void Write(const std::string& directory, const std::string& file_stem) const;
};

// Runs every model through `benchmark` and computes the frontier over `metrics` (latency is the
// median; accuracy needs `eval`; memory is state + peak activation bytes). No metrics: latency,
// accuracy when `eval` is given, and memory.
SuiteReport RunSuite(std::string name, const Benchmark& benchmark,
                     const std::vector<BenchmarkModel>& models, const Tensor& query,
                     const EvaluationSet* eval = nullptr, std::vector<SuiteMetric> metrics = {});

// ---------------------------------------------------------------------------------------------
// Optimization techniques against their baseline.

struct TechniqueConstraints {
  double min_accuracy_retention = 0.0;  // variant accuracy / baseline accuracy
  double max_latency_ms = 0;            // median; 0: none
  int64_t max_memory_bytes = 0;         // state + peak activation; 0: none
};

struct TechniqueImprovement {
  std::string variant;
  // time(baseline) / time(variant), median ratio with a bootstrap interval over the latency values.
  double speedup = 0, speedup_low = 0, speedup_high = 0;
  // memory(baseline) / memory(variant): exact byte counts, so no interval.
  double memory_ratio = 0;
  // Paired over the same examples: mean of correct(variant) − correct(baseline) with a Student-t
  // interval; retention = accuracy(variant) / accuracy(baseline). Absent without accuracies.
  bool has_accuracy = false;
  double accuracy_delta = 0, accuracy_delta_low = 0, accuracy_delta_high = 0;
  double accuracy_retention = 0;
  // speedup × memory ratio × retention (retention 1 without accuracies): one number for
  // "balanced", higher is better.
  double efficiency = 0;
  bool meets_constraints = false;
  bool dominated = false;  // by another variant or the baseline on latency, memory, accuracy
  std::string constraint_failure;
};

struct Recommendation {
  std::string
      use_case;  // "latency_critical", "memory_constrained", "accuracy_preserving", "balanced"
  std::string variant;  // empty when no variant qualifies (keep the baseline)
  std::string reason;   // cites the measured numbers
};

struct TechniqueComparison {
  std::string baseline;
  std::vector<TechniqueImprovement> improvements;  // one per variant that ran
  std::vector<std::string> errors;                 // variants that were ERROR results
  std::vector<Recommendation> recommendations;     // the four use cases, in that order
  std::string ToMarkdown() const;
  std::string ToJson() const;
};

// Recommendations consider only variants that meet the constraints and are not dominated; each
// picks the best such variant for its use case (latency: highest speedup; memory: highest memory
// ratio; accuracy: highest accuracy among those that improve speed or memory; balanced: highest
// efficiency). Throws when the baseline is an ERROR result.
TechniqueComparison CompareOptimizationTechniques(const ModelBenchmark& baseline,
                                                  const std::vector<ModelBenchmark>& variants,
                                                  const TechniqueConstraints& constraints = {});

}  // namespace tinytorch
