// WorkloadGenerator: seeded, deterministic inputs that describe themselves and know their cost.
//
// Each workload draws from its own random stream, derived from the generator's seed and the
// workload's description, so a workload's data does not depend on what was generated before it.
// The stream is std::mt19937_64 (whose output the C++ standard fixes) with this file's own
// conversions to floats, so the same seed gives the same data with any standard library.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace perf {

enum class Distribution {
  kNormal,       // N(0, 1): weights after initialisation
  kUniform,      // U(-1, 1)
  kHeavyTailed,  // Student t with 3 degrees of freedom: activations with outliers (LLM-like)
  kRelu,         // max(0, N(0, 1)): post-ReLU activations, half exact zeros
};
const char* DistributionName(Distribution d);

struct Workload {
  std::string description;  // e.g. "matmul m=256 n=256 k=256 dist=normal seed=42"
  double flops = 0;         // one multiply-add counts as 2 FLOPs
  double bytes = 0;         // compulsory traffic: every input read once, every output written once
  std::vector<std::vector<float>> tensors;  // row-major data, one entry per operand
  std::vector<std::vector<int64_t>> shapes;
  std::vector<int64_t> labels;  // class labels or token ids, when the workload has them

  double arithmetic_intensity() const { return bytes > 0 ? flops / bytes : 0; }
};

class WorkloadGenerator {
 public:
  explicit WorkloadGenerator(uint64_t seed) : seed_(seed) {}

  // A (m, k) and B (k, n); flops 2·m·n·k; bytes 4·(m·k + k·n + m·n).
  Workload MatMul(int64_t m, int64_t n, int64_t k, Distribution dist = Distribution::kNormal) const;
  // Input (N, C, H, W) and weight (O, C, kernel, kernel); output size (H + 2p - k)/s + 1.
  Workload Conv2d(int64_t batch, int64_t in_channels, int64_t height, int64_t width,
                  int64_t out_channels, int64_t kernel, int64_t stride = 1,
                  int64_t padding = 0) const;
  // One vector of n values: the input of an elementwise op (flops n, bytes 8n: read and write).
  Workload Elementwise(int64_t n, Distribution dist = Distribution::kNormal) const;
  // Token ids (batch, length) from a Zipf distribution with exponent 1.1 over `vocab` ids, as word
  // frequencies in natural text roughly follow; id 0 is the most frequent.
  Workload TokenSequences(int64_t batch, int64_t length, int64_t vocab) const;
  // `samples` points in `features` dimensions from `classes` Gaussian clusters (unit variance)
  // whose centres lie `separation` apart on random directions: learnable structure whose
  // difficulty the separation sets. tensors[0] is (samples, features); labels holds the classes.
  Workload Classification(int64_t samples, int64_t features, int64_t classes,
                          double separation) const;

  uint64_t seed() const { return seed_; }

 private:
  uint64_t seed_;
};

}  // namespace perf
