// tinyperf-count-probe: an empty Google Benchmark loop, fixed at 1 and at 1000 iterations.
// `tinyperf count` counts it under Valgrind to measure what the loop itself costs, and removes that
// from every count. Built without -march=native (no tt_build_flags), so Valgrind runs it anywhere.
#include <benchmark/benchmark.h>

namespace {

void BM_EmptyLoop(benchmark::State& state) {
  // The barrier emits no instruction but keeps the compiler from deleting the loop, so the
  // count holds what the loop costs per iteration.
  for (auto _ : state) benchmark::ClobberMemory();
}
BENCHMARK(BM_EmptyLoop)->Iterations(1);
BENCHMARK(BM_EmptyLoop)->Iterations(1000);

}  // namespace

BENCHMARK_MAIN();
