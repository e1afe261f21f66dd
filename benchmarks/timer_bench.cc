// The measurement framework's own costs, and the negative control for `tinyperf compare`.
//   BM_ClockRead         one steady_clock reading (ScientificTimer reads it twice per sample)
//   BM_TimerBatch        ScientificTimer::TimeBatch of an empty one-iteration batch: the overhead
//                        a sample adds on top of the work it times
//   BM_SpinControl/n     n dependent steps of a 64-bit LCG: time proportional to n by
//                        construction (the complexity fit should say O(N)). Setting
//                        TT_BENCH_SLOWDOWN=0.2 makes every call do 20% more steps, a real slowdown
//                        of known size for checking that `tinyperf compare` reports it.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "perf_framework/timer.h"
#include "bench_support.h"

namespace {

double InjectedSlowdown() {
  static const double slowdown = [] {
    const char* s = std::getenv("TT_BENCH_SLOWDOWN");
    if (s == nullptr || *s == '\0') return 0.0;
    char* end = nullptr;
    const double v = std::strtod(s, &end);
    if (end == s || *end != '\0' || !(v >= 0 && v <= 10)) {
      std::fprintf(stderr, "timer_bench: TT_BENCH_SLOWDOWN='%s' must be a number in [0, 10]\n", s);
      std::exit(2);
    }
    return v;
  }();
  return slowdown;
}

void BM_ClockRead(benchmark::State& state) {
  for (auto _ : state) {
    auto t = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(BM_ClockRead);

void BM_TimerBatch(benchmark::State& state) {
  perf::ScientificTimer timer({.max_seconds = 0.1});
  const std::function<void(int64_t)> empty = [](int64_t) {};
  for (auto _ : state) {
    double ns = timer.TimeBatch(empty, 1);
    benchmark::DoNotOptimize(ns);
  }
}
BENCHMARK(BM_TimerBatch);

void BM_SpinControl(benchmark::State& state) {
  const auto steps =
      static_cast<int64_t>(static_cast<double>(state.range(0)) * (1 + InjectedSlowdown()));
  for (auto _ : state) {
    uint64_t x = 1;
    for (int64_t i = 0; i < steps; ++i) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      asm volatile("" : "+r"(x));
    }
    benchmark::DoNotOptimize(x);
  }
  state.SetComplexityN(state.range(0));
  if (InjectedSlowdown() > 0) state.SetLabel("slowdown " + std::to_string(InjectedSlowdown()));
}
BENCHMARK(BM_SpinControl)
    ->ArgName("n")
    ->RangeMultiplier(10)
    ->Range(1000, 100000)
    ->Complexity(benchmark::oN);

}  // namespace

TT_BENCHMARK_MAIN()
