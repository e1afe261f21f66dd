// Seeded workloads with exact FLOP and byte counts.
#include "perf_framework/workload.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

#include "perf_framework/error.h"

namespace perf {

const char* DistributionName(Distribution d) {
  switch (d) {
    case Distribution::kNormal:
      return "normal";
    case Distribution::kUniform:
      return "uniform";
    case Distribution::kHeavyTailed:
      return "student_t3";
    case Distribution::kRelu:
      return "relu";
  }
  return "invalid";
}

namespace {

// The workload's own stream: FNV-1a of the description mixed with the seed.
class Stream {
 public:
  Stream(uint64_t seed, const std::string& description) {
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (char c : description) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
    rng_.seed(h);
  }
  double Uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }  // [0, 1)
  double Normal() {  // Box–Muller; one value per call keeps the stream simple
    const double r = std::sqrt(-2.0 * std::log(1.0 - Uniform()));
    return r * std::cos(2.0 * std::numbers::pi * Uniform());
  }
  double Draw(Distribution d) {
    switch (d) {
      case Distribution::kNormal:
        return Normal();
      case Distribution::kUniform:
        return 2 * Uniform() - 1;
      case Distribution::kHeavyTailed: {
        const double a = Normal(), b = Normal(), c = Normal();
        return Normal() / std::sqrt((a * a + b * b + c * c) / 3);
      }
      case Distribution::kRelu:
        return std::max(0.0, Normal());
    }
    return 0;
  }
  std::vector<float> Fill(int64_t n, Distribution d) {
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = static_cast<float>(Draw(d));
    return v;
  }

 private:
  std::mt19937_64 rng_;
};

void CheckPositive(const char* fn, std::initializer_list<int64_t> values) {
  for (int64_t v : values) PERF_CHECK(v > 0, fn, ": sizes must be positive, got ", v);
}

std::string Suffix(uint64_t seed) { return " seed=" + std::to_string(seed); }

}  // namespace

Workload WorkloadGenerator::MatMul(int64_t m, int64_t n, int64_t k, Distribution dist) const {
  CheckPositive("WorkloadGenerator::MatMul", {m, n, k});
  Workload w;
  w.description = "matmul m=" + std::to_string(m) + " n=" + std::to_string(n) +
                  " k=" + std::to_string(k) + " dist=" + DistributionName(dist) + Suffix(seed_);
  Stream s(seed_, w.description);
  w.tensors = {s.Fill(m * k, dist), s.Fill(k * n, dist)};
  w.shapes = {{m, k}, {k, n}};
  w.flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  w.bytes = 4.0 * static_cast<double>(m * k + k * n + m * n);
  return w;
}

Workload WorkloadGenerator::Conv2d(int64_t batch, int64_t in_channels, int64_t height,
                                   int64_t width, int64_t out_channels, int64_t kernel,
                                   int64_t stride, int64_t padding) const {
  CheckPositive("WorkloadGenerator::Conv2d",
                {batch, in_channels, height, width, out_channels, kernel, stride});
  PERF_CHECK(padding >= 0, "WorkloadGenerator::Conv2d: padding ", padding, " is negative");
  const int64_t out_h = (height + 2 * padding - kernel) / stride + 1;
  const int64_t out_w = (width + 2 * padding - kernel) / stride + 1;
  PERF_CHECK(height + 2 * padding >= kernel && width + 2 * padding >= kernel,
             "WorkloadGenerator::Conv2d: kernel ", kernel, " is larger than the padded input ",
             height + 2 * padding, "x", width + 2 * padding);
  Workload w;
  w.description = "conv2d n=" + std::to_string(batch) + " c=" + std::to_string(in_channels) +
                  " h=" + std::to_string(height) + " w=" + std::to_string(width) +
                  " o=" + std::to_string(out_channels) + " k=" + std::to_string(kernel) +
                  " s=" + std::to_string(stride) + " p=" + std::to_string(padding) + Suffix(seed_);
  Stream s(seed_, w.description);
  w.tensors = {s.Fill(batch * in_channels * height * width, Distribution::kNormal),
               s.Fill(out_channels * in_channels * kernel * kernel, Distribution::kNormal)};
  w.shapes = {{batch, in_channels, height, width}, {out_channels, in_channels, kernel, kernel}};
  const double outputs = static_cast<double>(batch * out_channels * out_h * out_w);
  w.flops = 2.0 * outputs * static_cast<double>(in_channels * kernel * kernel);
  w.bytes = 4.0 * (static_cast<double>(w.tensors[0].size() + w.tensors[1].size()) + outputs);
  return w;
}

Workload WorkloadGenerator::Elementwise(int64_t n, Distribution dist) const {
  CheckPositive("WorkloadGenerator::Elementwise", {n});
  Workload w;
  w.description =
      "elementwise n=" + std::to_string(n) + " dist=" + DistributionName(dist) + Suffix(seed_);
  Stream s(seed_, w.description);
  w.tensors = {s.Fill(n, dist)};
  w.shapes = {{n}};
  w.flops = static_cast<double>(n);
  w.bytes = 8.0 * static_cast<double>(n);
  return w;
}

Workload WorkloadGenerator::TokenSequences(int64_t batch, int64_t length, int64_t vocab) const {
  CheckPositive("WorkloadGenerator::TokenSequences", {batch, length, vocab});
  Workload w;
  w.description = "tokens batch=" + std::to_string(batch) + " length=" + std::to_string(length) +
                  " vocab=" + std::to_string(vocab) + " zipf=1.1" + Suffix(seed_);
  Stream s(seed_, w.description);
  std::vector<double> cumulative(static_cast<size_t>(vocab));
  double total = 0;
  for (int64_t r = 0; r < vocab; ++r) cumulative[r] = total += std::pow(r + 1.0, -1.1);
  w.labels.resize(static_cast<size_t>(batch * length));
  for (int64_t& id : w.labels) {
    const double u = s.Uniform() * total;
    id = std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin();
    id = std::min(id, vocab - 1);
  }
  w.shapes = {{batch, length}};
  w.bytes = 8.0 * static_cast<double>(w.labels.size());
  return w;
}

Workload WorkloadGenerator::Classification(int64_t samples, int64_t features, int64_t classes,
                                           double separation) const {
  CheckPositive("WorkloadGenerator::Classification", {samples, features, classes});
  PERF_CHECK(classes >= 2 && separation >= 0, "WorkloadGenerator::Classification: classes ",
             classes, " (>= 2) and separation ", separation, " (>= 0)");
  Workload w;
  w.description = "classification samples=" + std::to_string(samples) +
                  " features=" + std::to_string(features) + " classes=" + std::to_string(classes) +
                  " separation=" + std::to_string(separation) + Suffix(seed_);
  Stream s(seed_, w.description);
  // Class centres: random unit directions scaled so neighbouring centres are ~separation apart.
  std::vector<std::vector<double>> centres(static_cast<size_t>(classes));
  for (auto& c : centres) {
    double norm = 0;
    for (int64_t f = 0; f < features; ++f) {
      c.push_back(s.Normal());
      norm += c.back() * c.back();
    }
    for (double& v : c) v *= separation / std::sqrt(2 * norm);
  }
  std::vector<float> x(static_cast<size_t>(samples * features));
  w.labels.resize(static_cast<size_t>(samples));
  for (int64_t i = 0; i < samples; ++i) {
    const int64_t label = i % classes;  // balanced classes, interleaved
    w.labels[i] = label;
    for (int64_t f = 0; f < features; ++f) {
      x[i * features + f] = static_cast<float>(centres[label][f] + s.Normal());
    }
  }
  w.tensors = {std::move(x)};
  w.shapes = {{samples, features}};
  w.bytes = 4.0 * static_cast<double>(samples * features) + 8.0 * static_cast<double>(samples);
  return w;
}

}  // namespace perf
