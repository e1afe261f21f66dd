// Module 14: profiling. What a model costs — parameters, FLOPs, memory, latency — counted from its
// real layers and measured on its real buffers and kernels, with a per-layer table and a roofline
// verdict against this machine's measured peak compute and memory bandwidth.
//
// FLOP convention: a multiply-add is 2 FLOPs; a bias add, an activation, a softmax, a pooling
// comparison or addition is 1 FLOP per element it produces or reads (documented per layer in
// CountFlops). Attention is counted dense (the causal mask does not skip work in our kernel).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinytorch/layers.h"

namespace tinytorch {

int64_t CountParameters(const Module& model);  // trainable elements (Module::NumParameters)

// FLOPs of one forward pass of `model` on `input` (the whole batch). Known layers: Linear,
// Conv2d, the activation layers, MaxPool2d/AvgPool2d, BatchNorm2d, LayerNorm, Flatten, Dropout,
// Embedding, PositionalEncoding, MultiHeadAttention (self-attention), MLP, TransformerBlock, GPT,
// and Sequentials of them (run layer by layer for the intermediate shapes). Throws naming any
// other layer.
//   Linear (rows × in → out):     2·rows·in·out (+ rows·out with bias)
//   Conv2d (N, C → O, Ho × Wo):    2·N·O·Ho·Wo·C·k² (+ N·O·Ho·Wo with bias)
//   activations, softmax:          1 per element;   pooling: k² per output element
//   LayerNorm: 8 per element;      BatchNorm2d: 4 per element
//   attention on (B, T, E):        4 projections + 2·B·T²·E (scores) + B·H·T² (softmax)
//                                  + 2·B·T²·E (weighted values)
int64_t CountFlops(Module& model, const Tensor& input);

// Tensor storage during one forward pass (no gradients recorded), from the allocator's counters.
struct MemoryProfile {
  int64_t parameter_bytes = 0;        // Module::StateBytes: parameters and buffers
  int64_t peak_activation_bytes = 0;  // highest live storage above the starting level
  int64_t allocated_bytes = 0;        // every allocation made (cache reuse excluded)
  int64_t output_bytes = 0;
};
MemoryProfile MeasureMemory(Module& model, const Tensor& input);

struct LatencyProfile {
  double median_ms = 0, mean_ms = 0, p90_ms = 0, stddev_ms = 0;
  double ci_low_ms = 0, ci_high_ms = 0;  // 95% distribution-free interval of the median
  int samples = 0;
  bool converged = false;
  std::vector<std::string> warnings;  // the timer's, each with a recommendation
};
// Forward-pass latency (no gradients) through perf_framework's ScientificTimer, spending at most
// about `max_seconds`.
LatencyProfile MeasureLatency(Module& model, const Tensor& input, double max_seconds = 0.5);

// This machine's ceilings, measured once per process with short probes (~0.5 s) and then cached:
// peak float32 GFLOP/s (the best of our threaded GEMM and OpenBLAS at n = 512) and memory bandwidth
// (a triad over 64 MiB arrays, a[i] = b[i] + s·c[i], 3 × 4 bytes per element). Each is the
// fastest of repeated runs.
struct MachinePeaks {
  double gflops = 0;
  double bandwidth_gbps = 0;  // GB/s (10⁹ bytes)
  double ridge_flops_per_byte() const { return gflops / bandwidth_gbps; }
};
const MachinePeaks& MeasuredMachinePeaks();

struct LayerProfile {
  std::string name;         // "0", "1", ... or "model"
  std::string description;  // the layer's ToString()
  int64_t parameters = 0;
  int64_t flops = 0;
  int64_t bytes = 0;  // input + output + parameter bytes: the least the layer must move
  double median_ms = 0;
  double gflops = 0;                // achieved
  double arithmetic_intensity = 0;  // flops / bytes
  std::string bound;                // "memory" or "compute" (intensity vs the ridge point)
  double roofline_fraction = 0;     // achieved / min(peak, intensity × bandwidth)
};

struct ForwardProfile {
  std::vector<LayerProfile> layers;  // Sequential: one per layer (nested ones flattened)
  LayerProfile total;
  MemoryProfile memory;
  MachinePeaks peaks;
  std::string ToMarkdown() const;
};
// Times every layer of a Sequential on the input it sees in the forward pass (or the model as
// one row otherwise) and places each on the roofline.
ForwardProfile ProfileForwardPass(Module& model, const Tensor& input,
                                  double max_seconds_per_layer = 0.2);

}  // namespace tinytorch
