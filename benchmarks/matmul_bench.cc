// Module 17: the matmul ladder, one row per rung and size, and what dispatch through the Tensor
// layer costs. FLOPS counts 2·n³ per product (a multiply-add is 2 FLOPs) per second of wall time;
// the threaded rung and OpenBLAS use every core, the other rungs one.
#include <benchmark/benchmark.h>

#include <vector>

#include "tinytorch/acceleration.h"
#include "bench_support.h"

namespace tinytorch {
namespace {

void SetFlops(benchmark::State& state, int64_t m, int64_t n, int64_t k) {
  state.counters["FLOPS"] = benchmark::Counter(2.0 * static_cast<double>(m * n * k),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

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
  SetFlops(state, n, n, n);
  state.SetComplexityN(n);
  state.SetLabel(SimdLevelName(ActiveSimdLevel()));
}

void BM_MatMulNaive(benchmark::State& s) { MatMulBenchmark(s, MatMulBackend::kNaive); }
void BM_MatMulReordered(benchmark::State& s) { MatMulBenchmark(s, MatMulBackend::kReordered); }
void BM_MatMulBlocked(benchmark::State& s) { MatMulBenchmark(s, MatMulBackend::kBlocked); }
void BM_MatMulSimd(benchmark::State& s) { MatMulBenchmark(s, MatMulBackend::kSimd); }
void BM_MatMulThreaded(benchmark::State& s) { MatMulBenchmark(s, MatMulBackend::kThreaded); }
void BM_MatMulOpenBlas(benchmark::State& s) { MatMulBenchmark(s, MatMulBackend::kOpenBlas); }

// UseRealTime: the threaded rungs do their work on other threads too. The complexity fit reports
// each rung's n³ coefficient (and how far the sizes stray from a pure n³, RMS).
#define TT_LADDER(fn)                 \
  BENCHMARK(fn)                       \
      ->ArgName("n")                  \
      ->Arg(64)                       \
      ->Arg(256)                      \
      ->Arg(512)                      \
      ->Unit(benchmark::kMillisecond) \
      ->UseRealTime()                 \
      ->Complexity(benchmark::oNCubed)
TT_LADDER(BM_MatMulNaive);
TT_LADDER(BM_MatMulReordered)->Arg(1024);
TT_LADDER(BM_MatMulBlocked)->Arg(1024);
TT_LADDER(BM_MatMulSimd)->Arg(1024);
TT_LADDER(BM_MatMulThreaded)->Arg(1024);
TT_LADDER(BM_MatMulOpenBlas)->Arg(1024);
#undef TT_LADDER

// Dispatch: the same SIMD kernel called raw on buffers and through MatMul (shape rules, output
// allocation, grad-mode check). The gap per call is the dispatch overhead.
void BM_DispatchRaw(benchmark::State& state) {
  const int64_t n = state.range(0);
  Generator gen(3);
  const Tensor a = Tensor::RandN({n, n}, gen), b = Tensor::RandN({n, n}, gen);
  std::vector<float> c(static_cast<size_t>(n * n));
  for (auto _ : state) {
    Gemm(MatMulBackend::kSimd, c.data(), a.data<float>(), b.data<float>(), n, n, n);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  SetFlops(state, n, n, n);
}
void BM_DispatchTensor(benchmark::State& state) { MatMulBenchmark(state, MatMulBackend::kSimd); }
BENCHMARK(BM_DispatchRaw)->ArgName("n")->Arg(8)->Arg(32)->Arg(128);
BENCHMARK(BM_DispatchTensor)->ArgName("n")->Arg(8)->Arg(32)->Arg(128);

}  // namespace
}  // namespace tinytorch

TT_BENCHMARK_MAIN()
