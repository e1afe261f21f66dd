// Module 14: FLOP counting, memory and latency measurement, machine peaks and the roofline table.
#include "tinytorch/profiling.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "kernels/cpu.h"
#include "perf_framework/timer.h"
#include "tinytorch/acceleration.h"
#include "tinytorch/autograd.h"
#include "tinytorch/convolutions.h"
#include "tinytorch/embeddings.h"
#include "tinytorch/transformers.h"

namespace tinytorch {

int64_t CountParameters(const Module& model) { return model.NumParameters(); }

namespace {

int64_t LinearFlops(int64_t rows, int64_t in, int64_t out, bool bias) {
  return 2 * rows * in * out + (bias ? rows * out : 0);
}

// Self-attention on (B, T, E) with H heads, counted dense.
int64_t AttentionFlops(int64_t b, int64_t t, int64_t e, int64_t h) {
  return 4 * LinearFlops(b * t, e, e, true) + 2 * b * t * t * e + b * h * t * t + 2 * b * t * t * e;
}

int64_t BlockFlops(TransformerBlock& block, int64_t b, int64_t t) {
  const MultiHeadAttention& attn = block.attention();
  const int64_t e = attn.embed_dim(), hidden = block.mlp().fc1().out_features();
  const int64_t layer_norms = 2 * 8 * b * t * e, residuals = 2 * b * t * e;
  const int64_t mlp =
      LinearFlops(b * t, e, hidden, true) + b * t * hidden + LinearFlops(b * t, hidden, e, true);
  return layer_norms + AttentionFlops(b, t, e, attn.num_heads()) + residuals + mlp;
}

template <class T>
const T* As(const Module& m) {
  return dynamic_cast<const T*>(&m);
}

}  // namespace

int64_t CountFlops(Module& model, const Tensor& input) {
  const int64_t n = input.numel();
  if (auto* seq = dynamic_cast<Sequential*>(&model)) {
    const NoGradGuard no_grad;
    int64_t total = 0;
    Tensor x = input;
    for (const auto& layer : seq->layers()) {
      total += CountFlops(*layer, x);
      x = (*layer)(x);
    }
    return total;
  }
  if (const auto* l = As<Linear>(model)) {
    return LinearFlops(n / l->in_features(), l->in_features(), l->out_features(),
                       l->bias().defined());
  }
  if (const auto* c = As<Conv2d>(model)) {
    const Shape& w = c->weight().shape();  // (O, C, k, k)
    TT_CHECK(input.dim() == 4, "CountFlops: Conv2d needs an NCHW input, got ", input.shape());
    const int64_t ho = (input.size(2) + 2 * c->padding() - c->kernel()) / c->stride() + 1;
    const int64_t wo = (input.size(3) + 2 * c->padding() - c->kernel()) / c->stride() + 1;
    const int64_t outputs = input.size(0) * w[0] * ho * wo;
    return 2 * outputs * w[1] * w[2] * w[3] + (c->bias().defined() ? outputs : 0);
  }
  if (As<ReLULayer>(model) || As<SigmoidLayer>(model) || As<TanhLayer>(model) ||
      As<GELULayer>(model) || As<SoftmaxLayer>(model) || As<PositionalEncoding>(model)) {
    return n;
  }
  if (As<Flatten>(model) || As<Dropout>(model) || As<Embedding>(model) || As<Identity>(model)) {
    return 0;
  }
  if (As<MaxPool2d>(model) || As<AvgPool2d>(model)) {
    const NoGradGuard no_grad;
    const int64_t k =
        As<MaxPool2d>(model) ? As<MaxPool2d>(model)->kernel() : As<AvgPool2d>(model)->kernel();
    return model(input).numel() * k * k;
  }
  if (As<LayerNorm>(model)) return 8 * n;
  if (As<BatchNorm2d>(model)) return 4 * n;
  const auto batch_and_steps = [&](int64_t last) {
    TT_CHECK(input.dim() >= 2, "CountFlops: ", model.ToString(), " needs (..., T, ", last,
             "), got ", input.shape());
    return std::pair{n / (input.size(-2) * last), input.size(-2)};
  };
  if (const auto* a = As<MultiHeadAttention>(model)) {
    const auto [b, t] = batch_and_steps(a->embed_dim());
    return AttentionFlops(b, t, a->embed_dim(), a->num_heads());
  }
  if (const auto* m = As<MLP>(model)) {
    const int64_t rows = n / m->fc1().in_features(), hidden = m->fc1().out_features();
    return LinearFlops(rows, m->fc1().in_features(), hidden, true) + rows * hidden +
           LinearFlops(rows, hidden, m->fc2().out_features(), true);
  }
  if (auto* block = dynamic_cast<TransformerBlock*>(&model)) {
    const auto [b, t] = batch_and_steps(block->attention().embed_dim());
    return BlockFlops(*block, b, t);
  }
  if (auto* gpt = dynamic_cast<GPT*>(&model)) {
    const GPTConfig& c = gpt->config();
    const int64_t t = input.size(-1), b = n / t, e = c.embed_dim;
    int64_t total = b * t * e + 8 * b * t * e + LinearFlops(b * t, e, c.vocab_size, false);
    for (int64_t l = 0; l < c.num_layers; ++l) total += BlockFlops(gpt->block(l), b, t);
    return total;
  }
  detail::Throw("CountFlops: no FLOP formula for ", model.ToString());
}

MemoryProfile MeasureMemory(Module& model, const Tensor& input) {
  const NoGradGuard no_grad;
  MemoryProfile p;
  p.parameter_bytes = model.StateBytes();
  ResetStoragePeak();
  const StorageStats before = GetStorageStats();
  {
    const Tensor y = model(input);
    p.output_bytes = y.numel() * static_cast<int64_t>(ElementSize(y.dtype()));
    const StorageStats after = GetStorageStats();
    p.peak_activation_bytes = after.peak_bytes - before.live_bytes;
    p.allocated_bytes = after.total_allocated_bytes - before.total_allocated_bytes;
  }
  return p;
}

namespace {

LatencyProfile ToLatency(const perf::Measurement& m) {
  LatencyProfile l;
  l.median_ms = m.median_ns / 1e6;
  l.mean_ms = m.mean_ns / 1e6;
  l.p90_ms = m.p90_ns / 1e6;
  l.stddev_ms = m.stddev_ns / 1e6;
  l.ci_low_ms = m.median_ci.low / 1e6;
  l.ci_high_ms = m.median_ci.high / 1e6;
  l.samples = static_cast<int>(m.samples_ns.size());
  l.converged = m.converged;
  l.warnings = m.warnings;
  return l;
}

}  // namespace

LatencyProfile MeasureLatency(Module& model, const Tensor& input, double max_seconds) {
  TT_CHECK(max_seconds > 0, "MeasureLatency: max_seconds ", max_seconds, " must be positive");
  const NoGradGuard no_grad;
  perf::ScientificTimer timer({.max_seconds = max_seconds, .warmup_seconds = max_seconds / 20});
  return ToLatency(timer.Measure(model.ToString(), [&] {
    Tensor y = model(input);
    perf::DoNotOptimize(y);
  }));
}

namespace {

// The fastest of repeated runs over at least `budget_s` seconds: on a shared VM the second vCPU
// is sometimes away for tens of milliseconds, and a short probe would measure that instead.
template <class F>
double BestSeconds(double budget_s, F f) {
  double best = 1e300;
  const auto begin = std::chrono::steady_clock::now();
  for (int runs = 0;
       runs < 3 ||
       std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count() < budget_s;
       ++runs) {
    const auto start = std::chrono::steady_clock::now();
    f();
    best = std::min(
        best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

MachinePeaks Probe() {
  MachinePeaks peaks;
  constexpr int64_t kN = 512;
  std::vector<float> a(kN * kN, 1.f), b(kN * kN, 0.5f), c(kN * kN);
  for (MatMulBackend backend : {MatMulBackend::kThreaded, MatMulBackend::kOpenBlas}) {
    const double s =
        BestSeconds(0.15, [&] { Gemm(backend, c.data(), a.data(), b.data(), kN, kN, kN); });
    peaks.gflops = std::max(peaks.gflops, 2.0 * kN * kN * kN / s / 1e9);
  }
  // A triad over 3 × 64 MiB (far beyond any cache), split across the worker threads.
  constexpr int64_t kElements = int64_t{16} << 20;
  std::vector<float> x(kElements), y(kElements, 1.f), z(kElements, 2.f);
  const int64_t tasks = NumThreads();
  const double s = BestSeconds(0.25, [&] {
    kernels::ParallelFor(tasks, [&](int64_t t) {
      const int64_t lo = kElements * t / tasks, hi = kElements * (t + 1) / tasks;
      for (int64_t i = lo; i < hi; ++i) x[i] = y[i] + 3.f * z[i];
    });
  });
  peaks.bandwidth_gbps = 3.0 * sizeof(float) * kElements / s / 1e9;
  return peaks;
}

}  // namespace

const MachinePeaks& MeasuredMachinePeaks() {
  static const MachinePeaks peaks = Probe();
  return peaks;
}

namespace {

LayerProfile ProfileLayer(std::string name, Module& layer, const Tensor& input,
                          const Tensor& output, double max_seconds, const MachinePeaks& peaks) {
  LayerProfile p;
  p.name = std::move(name);
  p.description = layer.ToString();
  p.parameters = CountParameters(layer);
  p.flops = CountFlops(layer, input);
  p.bytes =
      (input.numel() + output.numel()) * static_cast<int64_t>(sizeof(float)) + layer.StateBytes();
  p.median_ms = MeasureLatency(layer, input, max_seconds).median_ms;
  p.gflops = p.median_ms > 0 ? static_cast<double>(p.flops) / (p.median_ms * 1e6) : 0;
  p.arithmetic_intensity = p.bytes > 0 ? static_cast<double>(p.flops) / p.bytes : 0;
  p.bound = p.arithmetic_intensity < peaks.ridge_flops_per_byte() ? "memory" : "compute";
  const double roof = std::min(peaks.gflops, p.arithmetic_intensity * peaks.bandwidth_gbps);
  p.roofline_fraction = roof > 0 ? p.gflops / roof : 0;
  return p;
}

void FlattenLayers(Module& model, const std::string& prefix,
                   std::vector<std::pair<std::string, Module*>>& out) {
  if (auto* seq = dynamic_cast<Sequential*>(&model)) {
    for (size_t i = 0; i < seq->size(); ++i) {
      FlattenLayers((*seq)[i],
                    prefix.empty() ? std::to_string(i) : prefix + "." + std::to_string(i), out);
    }
    return;
  }
  out.emplace_back(prefix.empty() ? "model" : prefix, &model);
}

}  // namespace

ForwardProfile ProfileForwardPass(Module& model, const Tensor& input,
                                  double max_seconds_per_layer) {
  ForwardProfile profile;
  profile.peaks = MeasuredMachinePeaks();
  profile.memory = MeasureMemory(model, input);
  std::vector<std::pair<std::string, Module*>> layers;
  FlattenLayers(model, "", layers);
  const NoGradGuard no_grad;
  Tensor x = input;
  for (auto& [name, layer] : layers) {
    const Tensor y = (*layer)(x);
    profile.layers.push_back(
        ProfileLayer(name, *layer, x, y, max_seconds_per_layer, profile.peaks));
    x = y;
  }
  LayerProfile total = ProfileLayer("total", model, input, x, max_seconds_per_layer, profile.peaks);
  total.description = "whole forward pass";
  profile.total = total;
  return profile;
}

std::string ForwardProfile::ToMarkdown() const {
  std::string s;
  char line[512];
  std::snprintf(line, sizeof line,
                "Machine peaks (measured): %.1f GFLOP/s, %.1f GB/s, ridge %.1f FLOP/byte\n\n",
                peaks.gflops, peaks.bandwidth_gbps, peaks.ridge_flops_per_byte());
  s += line;
  s += "| layer | description | params | MFLOP | median ms | GFLOP/s | FLOP/byte | bound | % of "
       "roof |\n";
  s += "|---|---|---|---|---|---|---|---|---|\n";
  for (const LayerProfile* p : [&] {
         std::vector<const LayerProfile*> rows;
         for (const LayerProfile& l : layers) rows.push_back(&l);
         rows.push_back(&total);
         return rows;
       }()) {
    std::snprintf(line, sizeof line, "| %s | %s | %lld | %.3f | %.4f | %.2f | %.2f | %s | %.1f |\n",
                  p->name.c_str(), p->description.c_str(), static_cast<long long>(p->parameters),
                  p->flops / 1e6, p->median_ms, p->gflops, p->arithmetic_intensity,
                  p->bound.c_str(), 100 * p->roofline_fraction);
    s += line;
  }
  std::snprintf(
      line, sizeof line,
      "\nMemory: parameters %lld B, peak activations %lld B, allocated %lld B, output %lld B\n",
      static_cast<long long>(memory.parameter_bytes),
      static_cast<long long>(memory.peak_activation_bytes),
      static_cast<long long>(memory.allocated_bytes), static_cast<long long>(memory.output_bytes));
  s += line;
  return s;
}

}  // namespace tinytorch
