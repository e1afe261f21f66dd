// Module 19: TinyMLPerf, the four MLPerf Tiny benchmarks with the course's input shapes and bars.
// Quality is top-1 accuracy, or for anomaly detection the ROC AUC of the reconstruction error (as
// MLPerf Tiny scores it); latency is single-stream p90.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinytorch/benchmarking.h"
#include "tinytorch/tensor.h"

namespace tinytorch {

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

// ---------------------------------------------------------------------------------------------
// The benchmarks' data. Their reference models are in tinymlperf_models.h.

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

// image_classification's data: Fashion-MNIST from Debian's dataset-fashion-mnist (IDX files in
// `directory`), padded from 28×28 to 32×32 with zeros and the gray value repeated in 3 channels,
// NHWC. `split` is "train" or "t10k"; `limit` >= 0 keeps the first images.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";
TinyMLPerfData LoadFashionMnist32(const std::string& split, int64_t limit = -1,
                                  const std::string& directory = kFashionMnistDir);

// keyword_spotting's data, synthetic (the Speech Commands corpus is not packaged in Debian): 12
// balanced classes as in MLPerf Tiny — 0 silence, 1 unknown word, 2..11 keywords — of one-second
// 16 kHz clips. A keyword is three harmonic "syllables" on a grid of fundamentals; unknown words
// use off-grid ones; every clip varies in pitch (±12%), timing, loudness, noise and hum, and half
// carry a quieter second word.
inline constexpr int64_t kKeywordClasses = 12;
TinyMLPerfData MakeKeywordSpottingData(int64_t rows, uint64_t seed);

// visual_wake_words' data, synthetic (COCO is not packaged in Debian): 96×96×3 NHWC scenes in
// [0, 1] — a colour gradient, one to four distractor shapes, pixel noise — and, in the odd rows
// (label 1), a standing figure 36–80 pixels tall with head, torso, arms and legs.
TinyMLPerfData MakeVisualWakeWordsData(int64_t rows, uint64_t seed);

}  // namespace tinytorch
