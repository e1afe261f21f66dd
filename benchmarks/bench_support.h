// Shared by the benchmark binaries: timing an op that returns a Tensor, and the rate counters the
// rows report, so every binary measures and labels them alike.
#pragma once

#include <benchmark/benchmark.h>

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

}  // namespace tinytorch::bench
