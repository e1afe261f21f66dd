// Module 19: TinyMLPerf specs, ROC AUC, the compliance run and report, and the anomaly-detection
// data and reference model.
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

#include "benchmarking_internal.h"
#include "perf_framework/statistics.h"
#include "printf.h"
#include "tinytorch/autograd.h"
#include "tinytorch/benchmarking.h"
#include "tinytorch/convolutions.h"
#include "tinytorch/data.h"
#include "tinytorch/error.h"
#include "tinytorch/losses.h"
#include "tinytorch/optimizers.h"
#include "tinytorch/training.h"

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

AnomalyDetectionSplit MakeAnomalyDetectionData(int64_t train_rows, int64_t eval_rows,
                                               uint64_t seed) {
  TT_CHECK(train_rows > 0 && eval_rows >= 2, "MakeAnomalyDetectionData: train_rows ", train_rows,
           " must be positive and eval_rows ", eval_rows, " at least 2");
  constexpr int64_t kDim = 640, kLatent = 8;
  Generator gen(seed);
  const Tensor basis = Tensor::RandN({kLatent, kDim}, gen, 0.f, 1.f / std::sqrt(float{kLatent}));
  const auto normal = [&](int64_t rows) {
    NoGradGuard no_grad;
    return MatMul(Tensor::RandN({rows, kLatent}, gen), basis) +
           Tensor::RandN({rows, kDim}, gen, 0.f, 0.05f);
  };
  AnomalyDetectionSplit split;
  split.train = normal(train_rows);
  const int64_t anomalous = eval_rows / 2;
  Tensor eval = normal(eval_rows);
  {
    // Anomalies leave the manifold: an isotropic component of 0.3 per coordinate (its energy, 58,
    // is small next to a row's 640, so only a model of the manifold separates the two).
    NoGradGuard no_grad;
    Tensor tail = eval.Slice(0, eval_rows - anomalous, eval_rows);
    tail += Tensor::RandN({anomalous, kDim}, gen, 0.f, 0.3f);
  }
  std::vector<int64_t> labels(eval_rows, 0);
  std::fill(labels.end() - anomalous, labels.end(), 1);
  split.eval = {eval, Tensor::FromData(labels, {eval_rows}), true,
                "synthetic: 8-d linear manifold in 640-d, seed " + std::to_string(seed)};
  return split;
}

std::shared_ptr<Sequential> AnomalyAutoencoder(Generator& gen) {
  auto model = std::make_shared<Sequential>();
  const std::vector<int64_t> widths = {640, 128, 128, 128, 128, 8, 128, 128, 128, 128, 640};
  for (size_t i = 0; i + 1 < widths.size(); ++i) {
    model->Add(std::make_shared<Linear>(widths[i], widths[i + 1], gen, true, Init::kHeNormal));
    // ReLU after every layer but the 8-unit code and the output: a ReLU on so narrow a code
    // would zero half of it (MLPerf's batch norms keep theirs alive instead).
    if (i + 2 < widths.size() && widths[i + 1] != 8) model->Add(std::make_shared<ReLULayer>());
  }
  return model;
}

std::shared_ptr<Sequential> TrainAnomalyAutoencoder(const Tensor& normal_rows, int epochs,
                                                    uint64_t seed) {
  TT_CHECK(epochs > 0, "TrainAnomalyAutoencoder: epochs ", epochs, " must be positive");
  Generator gen(seed);
  std::shared_ptr<Sequential> model = AnomalyAutoencoder(gen);
  DataLoader loader(std::make_shared<TensorDataset>(normal_rows, normal_rows),
                    {.batch_size = 64, .shuffle = true, .seed = seed});
  constexpr float kLr = 3e-3f;
  Adam optimizer(model->Parameters(), {.lr = kLr});
  Trainer trainer(*model, optimizer, MSELoss(),
                  {.schedule = CosineSchedule(kLr, 1e-4f, epochs * loader.NumBatches())});
  for (int e = 0; e < epochs; ++e) trainer.RunEpoch(loader);
  model->Eval();
  return model;
}

namespace {

// conv3×3 → BN → ReLU → conv3×3 → BN, plus the input (projected by a strided 1×1 convolution
// when the shape changes), then ReLU.
class ResidualBlock : public Module {
 public:
  ResidualBlock(int64_t in, int64_t out, int64_t stride, Generator& gen)
      : in_(in), out_(out), stride_(stride) {
    conv1_ = RegisterModule("conv1", std::make_shared<Conv2d>(in, out, 3, gen, stride, 1));
    bn1_ = RegisterModule("bn1", std::make_shared<BatchNorm2d>(out));
    conv2_ = RegisterModule("conv2", std::make_shared<Conv2d>(out, out, 3, gen, 1, 1));
    bn2_ = RegisterModule("bn2", std::make_shared<BatchNorm2d>(out));
    if (stride != 1 || in != out) {
      shortcut_ = RegisterModule("shortcut", std::make_shared<Conv2d>(in, out, 1, gen, stride, 0));
    }
  }
  Tensor Forward(const Tensor& x) override {
    const Tensor y = bn2_->Forward(conv2_->Forward(Relu(bn1_->Forward(conv1_->Forward(x)))));
    return Relu(y + (shortcut_ ? shortcut_->Forward(x) : x));
  }
  std::string ToString() const override {
    return "ResidualBlock(" + std::to_string(in_) + ", " + std::to_string(out_) +
           ", stride=" + std::to_string(stride_) + ")";
  }

 private:
  int64_t in_, out_, stride_;
  std::shared_ptr<Conv2d> conv1_, conv2_, shortcut_;
  std::shared_ptr<BatchNorm2d> bn1_, bn2_;
};

class ResNet8Model : public Module {
 public:
  ResNet8Model(Generator& gen, int64_t channels, int64_t classes)
      : channels_(channels), classes_(classes) {
    stem_ = RegisterModule("stem", std::make_shared<Conv2d>(channels, 16, 3, gen, 1, 1));
    stem_bn_ = RegisterModule("stem_bn", std::make_shared<BatchNorm2d>(16));
    blocks_ = {RegisterModule("stack1", std::make_shared<ResidualBlock>(16, 16, 1, gen)),
               RegisterModule("stack2", std::make_shared<ResidualBlock>(16, 32, 2, gen)),
               RegisterModule("stack3", std::make_shared<ResidualBlock>(32, 64, 2, gen))};
    head_ = RegisterModule("head", std::make_shared<Linear>(64, classes, gen));
  }
  Tensor Forward(const Tensor& x) override {
    TT_CHECK(x.dim() == 4 && x.size(3) == channels_, "ResNet8: expected NHWC input (N, H, W, ",
             channels_, "), got ", x.shape());
    Tensor h = Relu(stem_bn_->Forward(stem_->Forward(x.Permute({0, 3, 1, 2}).Contiguous())));
    for (const auto& b : blocks_) h = b->Forward(h);
    return head_->Forward(h.Mean(3).Mean(2));  // global average pooling
  }
  std::string ToString() const override {
    return "ResNet8(channels=" + std::to_string(channels_) +
           ", classes=" + std::to_string(classes_) + ")";
  }

 private:
  int64_t channels_, classes_;
  std::shared_ptr<Conv2d> stem_;
  std::shared_ptr<BatchNorm2d> stem_bn_;
  std::vector<std::shared_ptr<ResidualBlock>> blocks_;
  std::shared_ptr<Linear> head_;
};

}  // namespace

std::shared_ptr<Module> ResNet8(Generator& gen, int64_t channels, int64_t classes) {
  TT_CHECK(channels > 0 && classes > 0, "ResNet8: channels ", channels, " and classes ", classes,
           " must be positive");
  return std::make_shared<ResNet8Model>(gen, channels, classes);
}

TinyMLPerfData LoadFashionMnist32(const std::string& split, int64_t limit,
                                  const std::string& directory) {
  TT_CHECK(split == "train" || split == "t10k", "LoadFashionMnist32: split '", split,
           "' must be 'train' or 't10k'");
  const std::string base = directory + "/" + split;
  const Tensor images = LoadIdxImages(base + "-images-idx3-ubyte.gz", limit);
  const Tensor labels = LoadIdxLabels(base + "-labels-idx1-ubyte.gz", limit);
  TT_CHECK(images.size(0) == labels.size(0) && images.size(1) == 28 && images.size(2) == 28,
           "LoadFashionMnist32: '", base, "' has images ", images.shape(), " and labels ",
           labels.shape());
  const int64_t n = images.size(0);
  std::vector<float> out(static_cast<size_t>(n * 32 * 32 * 3), 0.f);
  const std::vector<float> in = images.ToVector();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t r = 0; r < 28; ++r) {
      for (int64_t c = 0; c < 28; ++c) {
        const float v = in[(i * 28 + r) * 28 + c];
        float* px = &out[((i * 32 + r + 2) * 32 + c + 2) * 3];
        px[0] = px[1] = px[2] = v;
      }
    }
  }
  return {Tensor::FromData(std::move(out), {n, 32, 32, 3}), labels, false,
          "Fashion-MNIST " + split + (limit >= 0 ? " (first " + std::to_string(n) + ")" : "") +
              ", Debian dataset-fashion-mnist, padded to 32x32, gray in 3 channels"};
}

}  // namespace tinytorch
