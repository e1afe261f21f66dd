// A Google Benchmark binary of the kind a user brings (nothing of tinytorch in it), for the
// `tinyperf count` tests:
//   BM_Work          a fixed amount of dependent integer work per iteration (FIXTURE_EXTRA_PCT=2
//                    adds 2% more), at the iterations count chooses and fixed at 40 iterations:
//                    both must give the same count per iteration
//   BM_Empty         nothing per iteration: the harness removed, about zero must remain
//   BM_Avx512        executes an AVX-512 instruction, which Valgrind cannot run (only counted
//                    when a test asks for it; never listed or run natively by the tests)
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>

namespace {

int64_t Steps() {
  const char* extra = std::getenv("FIXTURE_EXTRA_PCT");
  const double pct = extra == nullptr ? 0 : std::atof(extra);
  return static_cast<int64_t>(20000 * (1 + pct / 100));
}

void BM_Work(benchmark::State& state) {
  const int64_t steps = Steps();
  for (auto _ : state) {
    uint64_t x = 1;
    for (int64_t i = 0; i < steps; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      benchmark::DoNotOptimize(x);
    }
  }
}
BENCHMARK(BM_Work);
BENCHMARK(BM_Work)->Iterations(40);

void BM_Empty(benchmark::State& state) {
  for (auto _ : state) benchmark::ClobberMemory();
}
BENCHMARK(BM_Empty);

void BM_Avx512(benchmark::State& state) {
  for (auto _ : state) {
    asm volatile("vpxord %%zmm1, %%zmm1, %%zmm1" ::: "xmm1");
  }
}
BENCHMARK(BM_Avx512);

}  // namespace

BENCHMARK_MAIN();
