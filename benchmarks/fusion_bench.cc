// Module 17: fused operators against their unfused compositions on transformer-sized
// activations. bytes_per_second counts the fused op's one read of the input and one write of the
// output, so the two rows of a pair are directly comparable.
#include <benchmark/benchmark.h>

#include "bench_support.h"
#include "tinytorch/acceleration.h"
#include "tinytorch/transformers.h"

namespace tinytorch {
namespace {

// The fused op's one read of the input and one write of the output.
void SetBytes(benchmark::State& state, int64_t elements) {
  bench::SetBytesPerSecond(state, static_cast<double>(2 * elements * sizeof(float)));
}

// (rows, 128) @ (128, 512) + bias, GELU: a transformer MLP's first layer.
template <bool kFused>
void LinearGeluBenchmark(benchmark::State& state) {
  const int64_t rows = state.range(0);
  Generator gen(1);
  const Tensor x = Tensor::RandN({rows, 128}, gen), w = Tensor::RandN({128, 512}, gen, 0.f, 0.1f);
  const Tensor b = Tensor::RandN({512}, gen);
  bench::RunTensorOp(state,
                     [&] { return kFused ? LinearGelu(x, w, b) : LinearGeluUnfused(x, w, b); });
  SetBytes(state, rows * 512);
}
void BM_LinearGeluFused(benchmark::State& s) { LinearGeluBenchmark<true>(s); }
void BM_LinearGeluUnfused(benchmark::State& s) { LinearGeluBenchmark<false>(s); }
BENCHMARK(BM_LinearGeluFused)->ArgName("rows")->Arg(64)->Arg(1024);
BENCHMARK(BM_LinearGeluUnfused)->ArgName("rows")->Arg(64)->Arg(1024);

// Attention-score-shaped softmax: (rows, 256) along the last dim.
template <bool kFused>
void SoftmaxBenchmark(benchmark::State& state) {
  const int64_t rows = state.range(0);
  Generator gen(2);
  const Tensor x = Tensor::RandN({rows, 256}, gen);
  bench::RunTensorOp(state, [&] { return kFused ? Softmax(x, -1) : SoftmaxUnfused(x, -1); });
  SetBytes(state, rows * 256);
}
void BM_SoftmaxFused(benchmark::State& s) { SoftmaxBenchmark<true>(s); }
void BM_SoftmaxUnfused(benchmark::State& s) { SoftmaxBenchmark<false>(s); }
BENCHMARK(BM_SoftmaxFused)->ArgName("rows")->Arg(64)->Arg(4096);
BENCHMARK(BM_SoftmaxUnfused)->ArgName("rows")->Arg(64)->Arg(4096);

template <bool kFused>
void LayerNormBenchmark(benchmark::State& state) {
  const int64_t rows = state.range(0);
  Generator gen(3);
  const Tensor x = Tensor::RandN({rows, 128}, gen);
  const Tensor w = Tensor::Ones({128}), b = Tensor::Zeros({128});
  bench::RunTensorOp(
      state, [&] { return kFused ? LayerNormalize(x, w, b) : LayerNormalizeUnfused(x, w, b); });
  SetBytes(state, rows * 128);
}
void BM_LayerNormFused(benchmark::State& s) { LayerNormBenchmark<true>(s); }
void BM_LayerNormUnfused(benchmark::State& s) { LayerNormBenchmark<false>(s); }
BENCHMARK(BM_LayerNormFused)->ArgName("rows")->Arg(64)->Arg(4096);
BENCHMARK(BM_LayerNormUnfused)->ArgName("rows")->Arg(64)->Arg(4096);

}  // namespace
}  // namespace tinytorch

TT_BENCHMARK_MAIN()
