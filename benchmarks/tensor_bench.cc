// Module 01 microbenchmarks: elementwise add and matmul for the naive reference and OpenBLAS.
// Rates are per second of wall time: the OpenBLAS backend uses every core, the naive one only one.
#include <benchmark/benchmark.h>

#include "tinytorch/tensor.h"

namespace tinytorch {
namespace {

void BM_AddElementwise(benchmark::State& state) {
  const int64_t n = state.range(0);
  Generator gen(1);
  const Tensor a = Tensor::RandN({n, n}, gen);
  const Tensor b = Tensor::RandN({n, n}, gen);
  for (auto _ : state) {
    Tensor c = a + b;
    benchmark::DoNotOptimize(c.data<float>());
    benchmark::ClobberMemory();
  }
  // Two reads and one write of n² floats per iteration.
  state.counters["bytes_per_second"] = benchmark::Counter(
      static_cast<double>(3 * n * n * sizeof(float)), benchmark::Counter::kIsIterationInvariantRate,
      benchmark::Counter::kIs1024);
}
BENCHMARK(BM_AddElementwise)->ArgName("n")->Arg(100)->Arg(1000);

void MatMulBenchmark(benchmark::State& state, MatMulBackend backend) {
  const int64_t n = state.range(0);
  Generator gen(2);
  const Tensor a = Tensor::RandN({n, n}, gen);
  const Tensor b = Tensor::RandN({n, n}, gen);
  for (auto _ : state) {
    Tensor c = MatMul(a, b, backend);
    benchmark::DoNotOptimize(c.data<float>());
    benchmark::ClobberMemory();
  }
  state.counters["FLOPS"] = benchmark::Counter(2.0 * static_cast<double>(n * n * n),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

void BM_MatMulNaive(benchmark::State& state) { MatMulBenchmark(state, MatMulBackend::kNaive); }
void BM_MatMulOpenBlas(benchmark::State& state) {
  MatMulBenchmark(state, MatMulBackend::kOpenBlas);
}

BENCHMARK(BM_MatMulNaive)
    ->ArgName("n")
    ->RangeMultiplier(2)
    ->Range(64, 1024)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MatMulOpenBlas)
    ->ArgName("n")
    ->RangeMultiplier(2)
    ->Range(64, 1024)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tinytorch

BENCHMARK_MAIN();
