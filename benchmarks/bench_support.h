// Shared by the benchmark binaries: timing an op that returns a Tensor, and the rate counters the
// rows report, so every binary measures and labels them alike.
#pragma once

#include <benchmark/benchmark.h>

#include "tinytorch/acceleration.h"
#include "tinytorch/tensor.h"

namespace tinytorch::bench {

// Times op() once per iteration; the result's data is escaped so the work cannot be elided.
template <class Op>
void RunTensorOp(benchmark::State& state, Op op) {
  for (auto _ : state) {
    Tensor y = op();
    benchmark::DoNotOptimize(y.data<float>());
    benchmark::ClobberMemory();
  }
}

// `bytes` moved per iteration, reported as bytes_per_second (binary prefixes).
inline void SetBytesPerSecond(benchmark::State& state, double bytes) {
  state.counters["bytes_per_second"] = benchmark::Counter(
      bytes, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1024);
}

// `flops` per iteration, reported as flops (decimal prefixes: GFLOP/s).
inline void SetFlopsPerSecond(benchmark::State& state, double flops) {
  state.counters["flops"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate,
                                               benchmark::Counter::kIs1000);
}

// What decides a count or a time beyond the source: the compiler, whether the build is for this
// CPU or portable, the SIMD path the kernels dispatch to and MatMul's default GEMM. Written into
// the JSON context, so `tinyperf count` files say which path they measured.
inline void AddBuildContext() {
#if defined(__clang__)
  benchmark::AddCustomContext("tinytorch_compiler", "clang-" __clang_version__);
#elif defined(__GNUC__)
  benchmark::AddCustomContext("tinytorch_compiler", "gcc-" __VERSION__);
#endif
  benchmark::AddCustomContext("tinytorch_march", TT_BENCH_MARCH);
  benchmark::AddCustomContext("tinytorch_simd_level", SimdLevelName(ActiveSimdLevel()));
  benchmark::AddCustomContext("tinytorch_matmul_default",
                              std::string(MatMulBackendName(MatMulBackendFor(1, 1, 1))) +
                                  " (small), " +
                                  MatMulBackendName(MatMulBackendFor(4096, 4096, 4096)) +
                                  " (large)");
}

}  // namespace tinytorch::bench

// BENCHMARK_MAIN with the build context added (used without a trailing semicolon).
#define TT_BENCHMARK_MAIN()                                                  \
  int main(int argc, char** argv) {                                          \
    ::benchmark::Initialize(&argc, argv);                                    \
    if (::benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;      \
    ::tinytorch::bench::AddBuildContext();                                   \
    ::benchmark::RunSpecifiedBenchmarks();                                   \
    ::benchmark::Shutdown();                                                 \
    return 0;                                                                \
  }
