// Module 19: TinyMLPerf specs, ROC AUC, the compliance run and its report. Each benchmark's data
// and reference model are in tinymlperf_<benchmark>.cc.
#include "tinytorch/tinymlperf.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

#include "benchmarking_internal.h"
#include "perf_framework/statistics.h"
#include "printf.h"
#include "tinytorch/error.h"

namespace tinytorch {

using detail::Printf;

const std::vector<TinyMLPerfSpec>& TinyMLPerfSpecs() {
  static const std::vector<TinyMLPerfSpec> specs = {
      {"keyword_spotting", {1, 16000}, "top1_accuracy", 0.90, 100, "DS-CNN", 53'000},
      {"visual_wake_words",
       {1, 96, 96, 3},
       "top1_accuracy",
       0.80,
       200,
       "MobileNetV1 0.25x",
       325'000},
      {"anomaly_detection", {1, 640}, "auc", 0.85, 50, "FC autoencoder", 270'000},
      {"image_classification", {1, 32, 32, 3}, "top1_accuracy", 0.75, 150, "ResNet-8", 96'000},
  };
  return specs;
}

const TinyMLPerfSpec& TinyMLPerfSpecFor(const std::string& name) {
  for (const TinyMLPerfSpec& s : TinyMLPerfSpecs()) {
    if (s.name == name) return s;
  }
  detail::Throw("TinyMLPerfSpecFor: unknown benchmark '", name,
                "' (keyword_spotting, visual_wake_words, anomaly_detection, image_classification)");
}

RocAucResult RocAuc(const std::vector<double>& scores, const std::vector<int64_t>& labels,
                    double confidence) {
  const char* op = "RocAuc";
  TT_CHECK(scores.size() == labels.size(), op, ": ", scores.size(), " scores but ", labels.size(),
           " labels");
  TT_CHECK(confidence > 0 && confidence < 1, op, ": confidence ", confidence, " must be in (0, 1)");
  int64_t positives = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    TT_CHECK(labels[i] == 0 || labels[i] == 1, op, ": label ", i, " is ", labels[i],
             " (must be 0 or 1)");
    TT_CHECK(std::isfinite(scores[i]), op, ": score ", i, " is ", scores[i]);
    positives += labels[i];
  }
  const auto n = static_cast<int64_t>(labels.size());
  const int64_t negatives = n - positives;
  TT_CHECK(positives > 0 && negatives > 0, op, ": needs both classes, got ", positives,
           " positive and ", negatives, " negative");
  // Mann–Whitney: the positives' rank sum (ties get their average rank).
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double positive_rank_sum = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (size_t k = i; k < j; ++k) positive_rank_sum += labels[order[k]] == 1 ? rank : 0;
    i = j;
  }
  const double np = static_cast<double>(positives), nn = static_cast<double>(negatives);
  RocAucResult r;
  r.auc = (positive_rank_sum - np * (np + 1) / 2) / (np * nn);
  // Hanley & McNeil (1982).
  const double a = r.auc, q1 = a / (2 - a), q2 = 2 * a * a / (1 + a);
  const double var = (a * (1 - a) + (np - 1) * (q1 - a * a) + (nn - 1) * (q2 - a * a)) / (np * nn);
  const double half = perf::NormalQuantile(0.5 + confidence / 2) * std::sqrt(std::max(0.0, var));
  r.low = std::max(0.0, a - half);
  r.high = std::min(1.0, a + half);
  return r;
}

namespace {

using detail::ModelFailure;

// A float32 output: the anomaly score is computed on its values.
Tensor CheckedForward(const BenchmarkModel& model, const Tensor& x, const Shape& expected,
                      const std::string& what) {
  const Tensor y = model.forward(x);
  detail::CheckModelOutput(y, what, expected);
  if (y.dtype() != DType::kFloat32) {
    throw ModelFailure{what + " returned dtype " + DTypeName(y.dtype()) + ", expected float32"};
  }
  return y;
}

void Evaluate(const TinyMLPerfSpec& spec, const BenchmarkModel& model, const TinyMLPerfData& data,
              TinyMLPerfResult& r) {
  const int64_t n = data.labels.size(0);
  const Tensor labels = data.labels.Contiguous();
  const std::vector<int64_t> y(labels.data<int64_t>(), labels.data<int64_t>() + n);
  const bool auc = spec.quality_metric == "auc";
  std::vector<double> scores;
  int64_t correct = 0;
  constexpr int64_t kBatch = 256;
  for (int64_t lo = 0; lo < n; lo += kBatch) {
    const int64_t hi = std::min(n, lo + kBatch);
    const Tensor x = data.inputs.Slice(0, lo, hi).Contiguous();
    const std::string what = Printf("forward on evaluation rows [%lld, %lld)",
                                    static_cast<long long>(lo), static_cast<long long>(hi));
    if (auc) {
      // The anomaly score: mean squared reconstruction error of the row.
      const Tensor out = CheckedForward(model, x, x.shape(), what);
      const std::vector<float> xv = x.ToVector(), ov = out.ToVector();
      const int64_t d = x.numel() / (hi - lo);
      for (int64_t row = 0; row < hi - lo; ++row) {
        double e = 0;
        for (int64_t k = row * d; k < (row + 1) * d; ++k) e += (ov[k] - xv[k]) * (ov[k] - xv[k]);
        scores.push_back(e / static_cast<double>(d));
      }
      continue;
    }
    const Tensor out = CheckedForward(model, x, {}, what);
    std::vector<uint8_t> right(static_cast<size_t>(hi - lo));
    correct +=
        detail::ScoreClassifier(out, y.data() + lo, lo, hi - lo, what, spec.name, right.data());
  }
  if (auc) {
    const RocAucResult a = RocAuc(scores, y);
    r.quality = a.auc;
    r.quality_low = a.low;
    r.quality_high = a.high;
  } else {
    const perf::Interval ci = perf::WilsonInterval(correct, n);
    r.quality = ci.estimate;
    r.quality_low = ci.low;
    r.quality_high = ci.high;
  }
}

}  // namespace

TinyMLPerfResult RunTinyMLPerf(const TinyMLPerfSpec& spec, const BenchmarkModel& model,
                               const TinyMLPerfData& data, const SingleStreamOptions& latency) {
  const char* op = "RunTinyMLPerf";
  TT_CHECK(static_cast<bool>(model.forward), op, ": '", model.name, "' has no forward");
  TT_CHECK(data.inputs.defined() && data.labels.defined() && data.labels.dtype() == DType::kInt64 &&
               data.labels.dim() == 1 && data.inputs.dim() >= 1 &&
               data.inputs.size(0) == data.labels.size(0) && data.labels.size(0) > 0,
           op, ": ", spec.name, " data needs inputs (N, ...) and int64 labels (N), N > 0");
  Shape row(data.inputs.shape());
  row[0] = 1;
  TT_CHECK(row == spec.input_shape, op, ": ", spec.name, " queries are ", spec.input_shape,
           " but the data's rows are ", row);
  TinyMLPerfResult r;
  r.benchmark = spec.name;
  r.model = model.name;
  r.parameters = model.parameters;
  r.reference_parameters = spec.reference_parameters;
  r.quality_metric = spec.quality_metric;
  r.quality_target = spec.quality_target;
  r.max_latency_ms = spec.max_latency_ms;
  r.synthetic_data = data.synthetic_data;
  r.data_source = data.source;
  try {
    Evaluate(spec, model, data, r);
    const Tensor query = data.inputs.Slice(0, 0, 1).Contiguous();
    CheckedForward(model, query, {}, "forward on the query");
    r.latency = MeasureSingleStream([&] { model.forward(query); }, latency);
    r.ok = true;
  } catch (const ModelFailure& f) {
    r.error = f.reason;
  } catch (const std::exception& e) {
    r.error = std::string("the forward threw: ") + e.what();
  }
  r.meets_quality = r.ok && r.quality >= spec.quality_target;
  r.meets_latency = r.ok && r.latency.p90_ms <= spec.max_latency_ms;
  return r;
}

std::string TinyMLPerfMarkdown(const std::vector<TinyMLPerfResult>& results) {
  std::string s =
      "| benchmark | model | params (reference) | quality [95% CI] | target | p50 ms | p90 ms | "
      "p99 ms "
      "| p90 bar | data | verdict |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const TinyMLPerfResult& r : results) {
    if (!r.ok) {
      s += "| " + r.benchmark + " | " + r.model + " | | | | | | | | | ERROR: " + r.error + " |\n";
      continue;
    }
    s += Printf(
        "| %s | %s | %lld (%lld) | %s %.4f [%.4f, %.4f] | %.2f | %.4g | %.4g | %.4g | %.0f | "
        "%s | %s |\n",
        r.benchmark.c_str(), r.model.c_str(), static_cast<long long>(r.parameters),
        static_cast<long long>(r.reference_parameters), r.quality_metric.c_str(), r.quality,
        r.quality_low, r.quality_high, r.quality_target, r.latency.p50_ms, r.latency.p90_ms,
        r.latency.p99_ms, r.max_latency_ms, r.synthetic_data ? "synthetic" : r.data_source.c_str(),
        r.compliant()      ? "compliant"
        : !r.meets_quality ? "quality below target"
                           : "p90 over the bar");
  }
  return s;
}

std::string TinyMLPerfJson(const std::vector<TinyMLPerfResult>& results) {
  nlohmann::json j = {{"schema", "tinytorch.tinymlperf/1"}, {"results", nlohmann::json::array()}};
  for (const TinyMLPerfResult& r : results) {
    nlohmann::json e = {
        {"benchmark", r.benchmark},           {"model", r.model},
        {"status", r.ok ? "ok" : "error"},    {"error", r.error},
        {"parameters", r.parameters},         {"reference_parameters", r.reference_parameters},
        {"quality_metric", r.quality_metric}, {"quality_target", r.quality_target},
        {"max_latency_ms", r.max_latency_ms}, {"synthetic_data", r.synthetic_data},
        {"data_source", r.data_source},       {"compliant", r.compliant()}};
    if (r.ok) {
      e["quality"] = {{"value", r.quality}, {"low", r.quality_low}, {"high", r.quality_high}};
      e["latency_ms"] = {{"mean", r.latency.mean_ms},
                         {"p50", r.latency.p50_ms},
                         {"p90", r.latency.p90_ms},
                         {"p99", r.latency.p99_ms},
                         {"queries", r.latency.query_ms.size()},
                         {"windows", r.latency.window_queries.size()},
                         {"time_limited", r.latency.time_limited}};
    }
    j["results"].push_back(std::move(e));
  }
  return j.dump(2);
}

}  // namespace tinytorch
