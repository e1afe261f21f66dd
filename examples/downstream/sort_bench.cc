// A Google Benchmark binary of the kind a user brings to tinyperf: nothing of tinytorch in it.
// Built twice from this file (CMakeLists.txt): sort_bench_before sorts by insertion, the change
// (sort_bench_after) uses std::sort, under the same benchmark names so `tinyperf compare` pairs
// them.
#include <benchmark/benchmark.h>

#include <vector>

#include "sorting.h"

namespace {

void BM_SortInts(benchmark::State& state) {
  const std::vector<int> input = downstream::ShuffledInts(static_cast<int>(state.range(0)), 42);
  std::vector<int> values;
  for (auto _ : state) {
    values = input;
#ifdef SORT_BENCH_BEFORE
    downstream::InsertionSort(values);
#else
    downstream::StandardSort(values);
#endif
    benchmark::DoNotOptimize(values.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SortInts)->ArgName("n")->Arg(256)->Arg(1024);

}  // namespace

BENCHMARK_MAIN();
