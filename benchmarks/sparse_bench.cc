// Module 16: a 1024 → 1024 Linear pruned to a given sparsity, stored dense (OpenBLAS) or as CSR
// (SparseLinear), at batch 1 (latency) and 64. The dense row's time does not depend on sparsity;
// the CSR row's does.
#include <benchmark/benchmark.h>

#include "tinytorch/autograd.h"
#include "tinytorch/compression.h"
#include "bench_support.h"

namespace tinytorch {
namespace {

template <bool kSparse>
void LinearBenchmark(benchmark::State& state) {
  const int64_t batch = state.range(0);
  const double sparsity = static_cast<double>(state.range(1)) / 100.0;
  Generator gen(1);
  Linear dense(1024, 1024, gen);
  MagnitudePrune(dense, sparsity);
  SparseLinear sparse(dense);
  const Tensor x = Tensor::RandN({batch, 1024}, gen);
  const NoGradGuard no_grad;
  for (auto _ : state) {
    Tensor y = kSparse ? sparse(x) : dense(x);
    benchmark::DoNotOptimize(y.data<float>());
    benchmark::ClobberMemory();
  }
  state.counters["weight_bytes"] =
      static_cast<double>(kSparse ? sparse.WeightBytes() : WeightBytes(dense));
}
void BM_LinearDense(benchmark::State& s) { LinearBenchmark<false>(s); }
void BM_LinearCsr(benchmark::State& s) { LinearBenchmark<true>(s); }
BENCHMARK(BM_LinearDense)->ArgNames({"batch", "sparsity_pct"})->ArgsProduct({{1, 64}, {90}});
BENCHMARK(BM_LinearCsr)->ArgNames({"batch", "sparsity_pct"})->ArgsProduct({{1, 64}, {50, 90, 99}});

}  // namespace
}  // namespace tinytorch

TT_BENCHMARK_MAIN()
