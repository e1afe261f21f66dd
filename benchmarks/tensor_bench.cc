// Module 01 microbenchmarks: elementwise add (the matmul ladder is in matmul_bench.cc).
#include <benchmark/benchmark.h>

#include "tinytorch/tensor.h"
#include "bench_support.h"

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

}  // namespace
}  // namespace tinytorch

TT_BENCHMARK_MAIN()
