// Module 18: generating `tokens` new tokens from an 8-token prompt on a 4-layer, 128-wide GPT,
// with and without the KV cache. tokens_per_second is the decoding rate; the ratio of the two
// rows at one length is the cache's speedup, and how each row's time grows with length shows
// ~linear (cached) against ~quadratic (uncached) cost.
#include <benchmark/benchmark.h>

#include "tinytorch/memoization.h"
#include "bench_support.h"

namespace tinytorch {
namespace {

GPT& Model() {
  static Generator gen(1);
  static GPT gpt(
      {.vocab_size = 256, .max_seq_len = 512, .embed_dim = 128, .num_heads = 4, .num_layers = 4},
      gen);
  return gpt;
}

template <bool kCached>
void GenerateBenchmark(benchmark::State& state) {
  const int64_t tokens = state.range(0);
  GPT& gpt = Model();
  const TokenIds prompt = {1, 2, 3, 4, 5, 6, 7, 8};
  const SamplingOptions greedy{.temperature = 0.f};
  for (auto _ : state) {
    TokenIds out = kCached ? GenerateCached(gpt, prompt, tokens, greedy)
                           : gpt.Generate(prompt, tokens, greedy);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["tokens_per_second"] = benchmark::Counter(
      static_cast<double>(tokens), benchmark::Counter::kIsIterationInvariantRate);
}
void BM_GenerateUncached(benchmark::State& s) { GenerateBenchmark<false>(s); }
void BM_GenerateCached(benchmark::State& s) { GenerateBenchmark<true>(s); }
void Lengths(benchmark::internal::Benchmark* b) {
  b->ArgName("tokens")->Arg(8)->Arg(32)->Arg(64)->Arg(128)->Arg(256);
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}
BENCHMARK(BM_GenerateUncached)->Apply(Lengths);
BENCHMARK(BM_GenerateCached)->Apply(Lengths);

}  // namespace
}  // namespace tinytorch

TT_BENCHMARK_MAIN()
