// Module 09: convolution at MobileNet/DS-CNN layer shapes. The depthwise rows compare the direct
// kernel with its naive reference and with the same work done as an ordinary convolution over a
// block-diagonal weight (what a library without groups would run); the pointwise row is the 1×1
// convolution that follows it in a depthwise-separable block.
#include <benchmark/benchmark.h>

#include "bench_support.h"
#include "tinytorch/autograd.h"
#include "tinytorch/convolutions.h"

namespace tinytorch {
namespace {

// (batch 1) channels × size × size input, 3×3 filters, stride 1, padding 1.
struct Layer {
  Tensor x, depthwise, full, pointwise;
  explicit Layer(const benchmark::State& state) {
    const int64_t c = state.range(0), size = state.range(1);
    Generator gen(1);
    x = Tensor::RandN({1, c, size, size}, gen);
    depthwise = Tensor::RandN({c, 1, 3, 3}, gen);
    full = Tensor::Zeros({c, c, 3, 3});
    for (int64_t o = 0; o < c; ++o) {
      for (int64_t k = 0; k < 9; ++k)
        full.at({o, o, k / 3, k % 3}) = depthwise.at({o, 0, k / 3, k % 3});
    }
    pointwise = Tensor::RandN({c, c, 1, 1}, gen);
  }
};

template <class Op>
void Run(benchmark::State& state, double flops_per_run, Op op) {
  const NoGradGuard no_grad;
  bench::RunTensorOp(state, op);
  bench::SetFlopsPerSecond(state, flops_per_run);
}

double DepthwiseFlops(const benchmark::State& s) {
  return 2.0 * 9 * static_cast<double>(s.range(0) * s.range(1) * s.range(1));
}

void BM_DepthwiseConv2d(benchmark::State& s) {
  const Layer l(s);
  Run(s, DepthwiseFlops(s), [&] { return DepthwiseConvolve2d(l.x, l.depthwise, Tensor(), 1, 1); });
}
void BM_DepthwiseConv2dNaive(benchmark::State& s) {
  const Layer l(s);
  Run(s, DepthwiseFlops(s),
      [&] { return DepthwiseConvolve2dNaive(l.x, l.depthwise, Tensor(), 1, 1); });
}
// Useful FLOPs only: the block-diagonal weight does C times as many multiplications, mostly by 0.
void BM_DepthwiseConv2dAsFullConv(benchmark::State& s) {
  const Layer l(s);
  Run(s, DepthwiseFlops(s), [&] { return Convolve2d(l.x, l.full, Tensor(), 1, 1); });
}
void BM_Conv2dPointwise(benchmark::State& s) {
  const Layer l(s);
  Run(s, 2.0 * static_cast<double>(s.range(0) * s.range(0) * s.range(1) * s.range(1)),
      [&] { return Convolve2d(l.x, l.pointwise, Tensor()); });
}

// A batch through a 3×3 layer: 16 images, 32 → 64 channels at 32×32, padding 1 (the shape of the
// libtorch comparison).
void BM_Conv2d3x3Batch(benchmark::State& s) {
  Generator gen(32);
  const Tensor x = Tensor::RandN({16, 32, 32, 32}, gen);
  const Tensor w = Tensor::RandN({64, 32, 3, 3}, gen, 0.f, 0.1f), b = Tensor::RandN({64}, gen);
  Run(s, 2.0 * 16 * 64 * 32 * 9 * 32 * 32, [&] { return Convolve2d(x, w, b, 1, 1); });
}
BENCHMARK(BM_Conv2d3x3Batch)->UseRealTime();

// MobileNetV1 0.25× at 96×96 (8 ch at 48², 64 ch at 12²) and DS-CNN's 64 channels.
BENCHMARK(BM_DepthwiseConv2d)
    ->ArgNames({"channels", "size"})
    ->Args({8, 48})
    ->Args({64, 12})
    ->Args({64, 24});
BENCHMARK(BM_DepthwiseConv2dNaive)
    ->ArgNames({"channels", "size"})
    ->Args({8, 48})
    ->Args({64, 12})
    ->Args({64, 24});
BENCHMARK(BM_DepthwiseConv2dAsFullConv)
    ->ArgNames({"channels", "size"})
    ->Args({8, 48})
    ->Args({64, 12})
    ->Args({64, 24});
BENCHMARK(BM_Conv2dPointwise)
    ->ArgNames({"channels", "size"})
    ->Args({8, 48})
    ->Args({64, 12})
    ->Args({64, 24});

}  // namespace
}  // namespace tinytorch

TT_BENCHMARK_MAIN()
