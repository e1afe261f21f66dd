// Module 17, lazy execution: each group runs the same work eagerly and through a lazy graph
// (recorded and evaluated inside the timed loop, as a user would). Rows: BM_<Work>Eager and
// BM_<Work>Lazy; graph building alone against building + evaluation; Eval against EvalAsync.
#include <benchmark/benchmark.h>

#include "bench_support.h"
#include "tinytorch/autograd.h"
#include "tinytorch/lazy.h"
#include "tinytorch/transformers.h"

namespace tinytorch {
namespace {

// a + b over n floats: one op, nothing to fuse, so the lazy row shows the graph's overhead.
template <bool kLazy>
void AddBenchmark(benchmark::State& state) {
  const int64_t n = state.range(0);
  Generator gen(1);
  const Tensor a = Tensor::RandN({n}, gen), b = Tensor::RandN({n}, gen);
  bench::RunTensorOp(state, [&] { return kLazy ? (Lazy(a) + Lazy(b)).Eval() : a + b; });
  bench::SetBytesPerSecond(state, 3.0 * static_cast<double>(n) * sizeof(float));
}
void BM_AddEager(benchmark::State& s) { AddBenchmark<false>(s); }
void BM_AddLazy(benchmark::State& s) { AddBenchmark<true>(s); }
BENCHMARK(BM_AddEager)->ArgName("n")->Arg(1 << 10)->Arg(1 << 20);
BENCHMARK(BM_AddLazy)->ArgName("n")->Arg(1 << 10)->Arg(1 << 20);

template <bool kLazy>
void MatMulBenchmark(benchmark::State& state) {
  const int64_t n = state.range(0);
  Generator gen(2);
  const Tensor a = Tensor::RandN({n, n}, gen), b = Tensor::RandN({n, n}, gen);
  bench::RunTensorOp(state, [&] { return kLazy ? MatMul(Lazy(a), Lazy(b)).Eval() : MatMul(a, b); });
  bench::SetFlopsPerSecond(state, 2.0 * static_cast<double>(n * n * n));
}
void BM_MatMulEager(benchmark::State& s) { MatMulBenchmark<false>(s); }
void BM_MatMulLazy(benchmark::State& s) { MatMulBenchmark<true>(s); }
BENCHMARK(BM_MatMulEager)->ArgName("n")->Arg(64)->Arg(128)->Arg(256);
BENCHMARK(BM_MatMulLazy)->ArgName("n")->Arg(64)->Arg(128)->Arg(256);

// A LoRA-adapted 512 → 512 projection (rank 8, alpha 16) on a batch of rows.
template <bool kLazy>
void LoRABenchmark(benchmark::State& state) {
  const int64_t rows = state.range(0);
  Generator gen(3);
  Linear base(512, 512, gen);
  LoRALinear lora(base, gen, 8, 16.f);
  const Tensor x = Tensor::RandN({rows, 512}, gen);
  NoGradGuard no_grad;
  bench::RunTensorOp(state, [&] { return kLazy ? lora.Forward(Lazy(x)).Eval() : lora.Forward(x); });
}
void BM_LoRAForwardEager(benchmark::State& s) { LoRABenchmark<false>(s); }
void BM_LoRAForwardLazy(benchmark::State& s) { LoRABenchmark<true>(s); }
BENCHMARK(BM_LoRAForwardEager)->ArgName("rows")->Arg(64)->Arg(512);
BENCHMARK(BM_LoRAForwardLazy)->ArgName("rows")->Arg(64)->Arg(512);

// softmax(a @ b + c * 2.0), n × n.
template <bool kLazy>
void ComplexGraphBenchmark(benchmark::State& state) {
  const int64_t n = state.range(0);
  Generator gen(4);
  const Tensor a = Tensor::RandN({n, n}, gen), b = Tensor::RandN({n, n}, gen);
  const Tensor c = Tensor::RandN({n, n}, gen);
  bench::RunTensorOp(state, [&] {
    return kLazy ? Softmax(MatMul(Lazy(a), Lazy(b)) + Lazy(c) * 2.f).Eval()
                 : Softmax(MatMul(a, b) + c * 2.f);
  });
}
void BM_ComplexGraphEager(benchmark::State& s) { ComplexGraphBenchmark<false>(s); }
void BM_ComplexGraphLazy(benchmark::State& s) { ComplexGraphBenchmark<true>(s); }
BENCHMARK(BM_ComplexGraphEager)->ArgName("n")->Arg(64)->Arg(256);
BENCHMARK(BM_ComplexGraphLazy)->ArgName("n")->Arg(64)->Arg(256);

// An 8-op elementwise chain, the case fusion is for: eager makes 8 passes and 8 temporaries.
template <class T>
T Chain(const T& x, const T& y) {
  return Relu((x * 1.5f + y) * 0.5f - 0.25f) * (y - x) + 1.f;
}
template <bool kLazy>
void ChainBenchmark(benchmark::State& state) {
  const int64_t n = state.range(0);
  Generator gen(5);
  const Tensor x = Tensor::RandN({n}, gen), y = Tensor::RandN({n}, gen);
  bench::RunTensorOp(state, [&] { return kLazy ? Chain(Lazy(x), Lazy(y)).Eval() : Chain(x, y); });
  bench::SetBytesPerSecond(state, 3.0 * static_cast<double>(n) * sizeof(float));
}
void BM_ElementwiseChainEager(benchmark::State& s) { ChainBenchmark<false>(s); }
void BM_ElementwiseChainLazy(benchmark::State& s) { ChainBenchmark<true>(s); }
BENCHMARK(BM_ElementwiseChainEager)->ArgName("n")->Arg(1 << 12)->Arg(1 << 20);
BENCHMARK(BM_ElementwiseChainLazy)->ArgName("n")->Arg(1 << 12)->Arg(1 << 20);

// Recording alone (ops_per_second → ns per recorded op) against recording and evaluating.
template <bool kEval>
void GraphBenchmark(benchmark::State& state) {
  const int64_t ops = state.range(0);
  Generator gen(6);
  const Tensor x = Tensor::RandN({16}, gen);
  for (auto _ : state) {
    LazyTensor y = Lazy(x);
    for (int64_t i = 0; i < ops; ++i) y = y * 0.999f;
    if constexpr (kEval) {
      Tensor t = y.Eval();
      benchmark::DoNotOptimize(t.data<float>());
    } else {
      benchmark::DoNotOptimize(y.node().get());
    }
  }
  state.counters["ops_per_second"] =
      benchmark::Counter(static_cast<double>(ops), benchmark::Counter::kIsIterationInvariantRate);
}
void BM_GraphBuild(benchmark::State& s) { GraphBenchmark<false>(s); }
void BM_GraphBuildAndEval(benchmark::State& s) { GraphBenchmark<true>(s); }
BENCHMARK(BM_GraphBuild)->ArgName("ops")->Arg(16)->Arg(256);
BENCHMARK(BM_GraphBuildAndEval)->ArgName("ops")->Arg(16)->Arg(256);

// A small graph, so the row is the cost of handing it to the worker thread and back.
template <bool kAsync>
void EvalModeBenchmark(benchmark::State& state) {
  Generator gen(7);
  const Tensor x = Tensor::RandN({256}, gen);
  const LazyTensor y = Exp(Lazy(x)) * 2.f + 1.f;
  bench::RunTensorOp(state, [&] { return kAsync ? y.EvalAsync().get() : y.Eval(); });
}
void BM_EvalSync(benchmark::State& s) { EvalModeBenchmark<false>(s); }
void BM_EvalAsync(benchmark::State& s) { EvalModeBenchmark<true>(s); }
BENCHMARK(BM_EvalSync);
BENCHMARK(BM_EvalAsync);

}  // namespace
}  // namespace tinytorch

TT_BENCHMARK_MAIN()
