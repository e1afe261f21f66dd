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
  bool time_limited = false;  // max_seconds cut a window short of its minimums
};

// `now_ns` is the clock (steady_clock when empty); tests pass a fake one. One clock read per query
// boundary, ~20-30 ns on Linux, so queries should take microseconds or more. Throws on options
// that cannot produce a measurement; exceptions from `query` propagate.
SingleStreamLatency MeasureSingleStream(const std::function<void()>& query,
                                        const SingleStreamOptions& options = {},
                                        const std::function<int64_t()>& now_ns = nullptr);

// ---------------------------------------------------------------------------------------------
// TinyMLPerf: the four MLPerf Tiny benchmarks with the course's input shapes and bars. Quality is
// top-1 accuracy, or for anomaly detection the ROC AUC of the reconstruction error (as MLPerf Tiny
// scores it); latency is single-stream p90.

struct TinyMLPerfSpec {
  std::string name;             // "keyword_spotting", ...
  Shape input_shape;            // one query
  std::string quality_metric;   // "top1_accuracy" or "auc"
  double quality_target = 0;    // at least
  double max_latency_ms = 0;    // p90 at most
  std::string reference_model;  // MLPerf Tiny's architecture
  // About its parameter count: MLPerf Tiny v0.5's published int8 model sizes (one byte per weight).
  int64_t reference_parameters = 0;
};
// keyword_spotting, visual_wake_words, anomaly_detection, image_classification.
const std::vector<TinyMLPerfSpec>& TinyMLPerfSpecs();
const TinyMLPerfSpec& TinyMLPerfSpecFor(const std::string& name);  // throws naming the four

struct TinyMLPerfData {
  Tensor inputs;  // (N, input_shape without its batch dim)
  Tensor labels;  // int64 (N): classes, or 1 = anomalous / 0 = normal for "auc"
  bool synthetic_data = false;
  std::string source;  // where the data came from
};

// ROC AUC of `scores` for `labels` (1 positive, 0 negative): the probability that a random
// positive scores above a random negative, ties counting half (scikit-learn's roc_auc_score). The
// interval is Hanley & McNeil's (1982) normal approximation, clipped to [0, 1].
struct RocAucResult {
  double auc = 0, low = 0, high = 0;
};
RocAucResult RocAuc(const std::vector<double>& scores, const std::vector<int64_t>& labels,
                    double confidence = 0.95);

struct TinyMLPerfResult {
  std::string benchmark, model;
  bool ok = false;
  std::string error;
  int64_t parameters = 0, reference_parameters = 0;
  std::string quality_metric;
  double quality = 0, quality_low = 0, quality_high = 0, quality_target = 0;
  SingleStreamLatency latency;
  double max_latency_ms = 0;
  bool synthetic_data = false;
  std::string data_source;
  bool meets_quality = false, meets_latency = false;
  bool compliant() const { return ok && meets_quality && meets_latency; }
};

// Evaluates quality over all of `data` (batches of 256) and single-stream latency on its first
// row. A model that throws, returns a wrong shape or non-finite values gives ok = false with the
// reason; bad data or a shape that does not match the spec throws.
TinyMLPerfResult RunTinyMLPerf(const TinyMLPerfSpec& spec, const BenchmarkModel& model,
                               const TinyMLPerfData& data, const SingleStreamOptions& latency = {});

// The compliance report: one row per result with quality (and interval), p50/p90/p99, the bars,
// synthetic_data and the verdict.
std::string TinyMLPerfMarkdown(const std::vector<TinyMLPerfResult>& results);
std::string TinyMLPerfJson(const std::vector<TinyMLPerfResult>& results);

// anomaly_detection's data: 640-d vectors near an 8-dimensional linear manifold (normal) and the
// same with an isotropic off-manifold component (anomalous), seeded. `train` holds normal rows
// only, as in MLPerf Tiny; `eval` half normal, half anomalous. Synthetic: no public machine-sound
// data set is packaged in Debian.
struct AnomalyDetectionSplit {
  Tensor train;
  TinyMLPerfData eval;
};
AnomalyDetectionSplit MakeAnomalyDetectionData(int64_t train_rows = 2000, int64_t eval_rows = 1000,
                                               uint64_t seed = 7);
// MLPerf Tiny's FC autoencoder without its batch norms: 640 → 128 ×4 → 8 → 128 ×4 → 640 with ReLU,
// 265,864 parameters (MLPerf's has 269,992 with batch norms).
std::shared_ptr<Sequential> AnomalyAutoencoder(Generator& gen);
// The reference model trained as MLPerf Tiny trains it, on normal rows only: mean squared
// reconstruction error, Adam (peak 3e-3, cosine-decayed to 1e-4), batch 64, seeded. In eval mode.
std::shared_ptr<Sequential> TrainAnomalyAutoencoder(const Tensor& normal_rows, int epochs = 40,
                                                    uint64_t seed = 3);

// MLPerf Tiny's ResNet-8 for image_classification, taking the benchmark's NHWC queries
// (N, 32, 32, channels): a 3×3 stem of 16 channels, three residual stacks of two 3×3 convolutions
// with batch norm (16, 32 and 64 channels; the last two stride 2 with a 1×1 projection shortcut),
// global average pooling and a linear classifier. 78,186 parameters (batch-norm scales and shifts
// included) for 3 channels and 10 classes.
std::shared_ptr<Module> ResNet8(Generator& gen, int64_t channels = 3, int64_t classes = 10);

// image_classification's data: Fashion-MNIST from Debian's dataset-fashion-mnist (IDX files in
// `directory`), padded from 28×28 to 32×32 with zeros and the gray value repeated in 3 channels,
// NHWC. `split` is "train" or "t10k"; `limit` >= 0 keeps the first images.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";
TinyMLPerfData LoadFashionMnist32(const std::string& split, int64_t limit = -1,
                                  const std::string& directory = kFashionMnistDir);

// keyword_spotting's front end, as MLPerf Tiny's: 16 kHz audio (N, 16000) → MFCCs (N, 1, 49, 10)
// from 40 ms Hann-windowed frames every 20 ms, the power spectrum up to 4 kHz (a real DFT done as
// a GEMM with a cos/sin basis), 40 mel bands from 20 Hz to 4 kHz, log, and an orthonormal DCT-II
// keeping 10 coefficients. A fixed transform: nothing in it is trained or differentiated.
Tensor KeywordMfcc(const Tensor& audio);

// keyword_spotting's data, synthetic (the Speech Commands corpus is not packaged in Debian): 12
// balanced classes as in MLPerf Tiny — 0 silence, 1 unknown word, 2..11 keywords — of one-second
// 16 kHz clips. A keyword is three harmonic "syllables" on a grid of fundamentals; unknown words
// use off-grid ones; every clip varies in pitch (±12%), timing, loudness, noise and hum, and half
// carry a quieter second word.
inline constexpr int64_t kKeywordClasses = 12;
TinyMLPerfData MakeKeywordSpottingData(int64_t rows, uint64_t seed);
// MLPerf Tiny's DS-CNN on raw audio (N, 16000): KeywordMfcc, a 10×4 stride-2 stem of 64 channels,
// four depthwise-separable blocks of 64 (depthwise 3×3 and pointwise 1×1, each with batch norm and
// ReLU), global average pooling and a linear classifier: 23,180 parameters for 12 classes.
std::shared_ptr<Module> DsCnn(Generator& gen, int64_t classes = kKeywordClasses);

// visual_wake_words' data, synthetic (COCO is not packaged in Debian): 96×96×3 NHWC scenes in
// [0, 1] — a colour gradient, one to four distractor shapes, pixel noise — and, in the odd rows
// (label 1), a standing figure 36–80 pixels tall with head, torso, arms and legs.
TinyMLPerfData MakeVisualWakeWordsData(int64_t rows, uint64_t seed);
// MLPerf Tiny's MobileNetV1 at width 0.25 on NHWC queries (N, 96, 96, 3): a 3×3 stride-2 stem of
// 8 channels, MobileNetV1's 13 depthwise-separable layers (16 to 256 channels), global average
// pooling and a linear classifier: 213,586 parameters for 2 classes.
std::shared_ptr<Module> MobileNetV1Quarter(Generator& gen, int64_t classes = 2);

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
