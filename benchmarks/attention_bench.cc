// Module 12: causal multi-head self-attention (batch 1, 128 wide, 4 heads) forward, and the same
// through a whole 2-layer GPT, against sequence length. FLOPS uses profiling's CountFlops (dense:
// the causal mask skips no work in our kernel), so the rate is comparable across lengths; the
// complexity fit shows the T² of the score and weighting products taking over from the linear
// projections as T grows.
#include <benchmark/benchmark.h>

#include "tinytorch/attention.h"
#include "tinytorch/autograd.h"
#include "tinytorch/profiling.h"
#include "tinytorch/transformers.h"
#include "bench_support.h"

namespace tinytorch {
namespace {

void BM_AttentionForward(benchmark::State& state) {
  const int64_t t = state.range(0), e = 128;
  Generator gen(12);
  MultiHeadAttention attention(e, 4, gen, /*causal=*/true);
  const Tensor x = Tensor::RandN({1, t, e}, gen);
  const NoGradGuard no_grad;
  for (auto _ : state) {
    Tensor y = attention(x);
    benchmark::DoNotOptimize(y.data<float>());
  }
  state.counters["FLOPS"] = benchmark::Counter(static_cast<double>(CountFlops(attention, x)),
                                               benchmark::Counter::kIsIterationInvariantRate);
  state.SetComplexityN(t);
}
BENCHMARK(BM_AttentionForward)
    ->ArgName("T")
    ->RangeMultiplier(2)
    ->Range(32, 512)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime()
    ->Complexity(benchmark::oNSquared);

void BM_GptForward(benchmark::State& state) {
  const int64_t t = state.range(0);
  Generator gen(13);
  GPT gpt(
      {.vocab_size = 256, .max_seq_len = 512, .embed_dim = 128, .num_heads = 4, .num_layers = 2},
      gen);
  std::vector<int64_t> ids(static_cast<size_t>(t));
  for (int64_t i = 0; i < t; ++i) ids[i] = (7 * i) % 256;
  const Tensor tokens = Tensor::FromData(ids, {1, t});
  const NoGradGuard no_grad;
  for (auto _ : state) {
    Tensor logits = gpt(tokens);
    benchmark::DoNotOptimize(logits.data<float>());
  }
  state.counters["FLOPS"] = benchmark::Counter(static_cast<double>(CountFlops(gpt, tokens)),
                                               benchmark::Counter::kIsIterationInvariantRate);
  state.counters["tokens_per_second"] =
      benchmark::Counter(static_cast<double>(t), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_GptForward)
    ->ArgName("T")
    ->Arg(64)
    ->Arg(256)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace tinytorch

TT_BENCHMARK_MAIN()
