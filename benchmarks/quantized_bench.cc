// Module 15: the int8 GEMM against the fp32 one at the same sizes, and quantized against float
// Linear layers (which adds quantizing the input and rescaling the output). OPS counts 2·m·n·k
// per product for both, so the rows compare directly. Both GEMMs use every core.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "tinytorch/acceleration.h"
#include "tinytorch/autograd.h"
#include "tinytorch/digits.h"
#include "tinytorch/quantization.h"
#include "bench_support.h"

namespace tinytorch {
namespace {

void SetOps(benchmark::State& state, int64_t m, int64_t n, int64_t k) {
  state.counters["OPS"] = benchmark::Counter(2.0 * static_cast<double>(m * n * k),
                                             benchmark::Counter::kIsIterationInvariantRate);
}

void BM_GemmInt8(benchmark::State& state) {
  const int64_t n = state.range(0);
  Generator gen(1);
  std::vector<uint8_t> a(static_cast<size_t>(n * n));
  std::vector<int8_t> w(static_cast<size_t>(n * n));
  for (auto& v : a) v = static_cast<uint8_t>(gen.NextU64());
  for (auto& v : w) v = static_cast<int8_t>(gen.NextU64());
  std::vector<int32_t> c(static_cast<size_t>(n * n));
  for (auto _ : state) {
    GemmInt8(c.data(), a.data(), w.data(), n, n, n);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  SetOps(state, n, n, n);
  state.SetLabel(SimdLevelName(ActiveSimdLevel()));
}

void BM_GemmFp32(benchmark::State& state) {
  const int64_t n = state.range(0);
  Generator gen(1);
  const Tensor a = Tensor::RandN({n, n}, gen), b = Tensor::RandN({n, n}, gen);
  std::vector<float> c(static_cast<size_t>(n * n));
  for (auto _ : state) {
    Gemm(MatMulBackend::kThreaded, c.data(), a.data<float>(), b.data<float>(), n, n, n);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  SetOps(state, n, n, n);
  state.SetLabel(SimdLevelName(ActiveSimdLevel()));
}

BENCHMARK(BM_GemmInt8)->ArgName("n")->Arg(64)->Arg(256)->Arg(512)->Arg(1024)->UseRealTime();
BENCHMARK(BM_GemmFp32)->ArgName("n")->Arg(64)->Arg(256)->Arg(512)->Arg(1024)->UseRealTime();

// A 512 → 512 layer at batch 1 (latency) and 256 (throughput).
template <bool kQuantized>
void LinearBenchmark(benchmark::State& state) {
  const int64_t batch = state.range(0);
  Generator gen(2);
  Linear linear(512, 512, gen);
  QuantizedLinear quantized(linear);
  const Tensor x = Tensor::RandN({batch, 512}, gen);
  const NoGradGuard no_grad;
  for (auto _ : state) {
    Tensor y = kQuantized ? quantized(x) : linear(x);
    benchmark::DoNotOptimize(y.data<float>());
    benchmark::ClobberMemory();
  }
  SetOps(state, batch, 512, 512);
}
void BM_LinearInt8(benchmark::State& s) { LinearBenchmark<true>(s); }
void BM_LinearFp32(benchmark::State& s) { LinearBenchmark<false>(s); }
BENCHMARK(BM_LinearInt8)->ArgName("batch")->Arg(1)->Arg(256)->UseRealTime();
BENCHMARK(BM_LinearFp32)->ArgName("batch")->Arg(1)->Arg(256)->UseRealTime();

// The digits MLP's shape (64-128-64-10), statically calibrated like the validation claim's int8
// model: small layers, where quantizing activations and rescaling outputs weigh most.
template <bool kQuantized>
void MlpBenchmark(benchmark::State& state) {
  const int64_t batch = state.range(0);
  Generator gen(3);
  Sequential mlp({std::make_shared<Linear>(64, 128, gen), std::make_shared<ReLULayer>(),
                  std::make_shared<Linear>(128, 64, gen), std::make_shared<ReLULayer>(),
                  std::make_shared<Linear>(64, 10, gen)});
  const std::shared_ptr<Sequential> int8 = QuantizeModel(mlp, {}, Tensor::RandN({256, 64}, gen));
  const Tensor x = Tensor::RandN({batch, 64}, gen);
  const NoGradGuard no_grad;
  for (auto _ : state) {
    Tensor y = kQuantized ? (*int8)(x) : mlp(x);
    benchmark::DoNotOptimize(y.data<float>());
    benchmark::ClobberMemory();
  }
  SetOps(state, batch, 1, 64 * 128 + 128 * 64 + 64 * 10);
}
void BM_MlpInt8(benchmark::State& s) { MlpBenchmark<true>(s); }
void BM_MlpFp32(benchmark::State& s) { MlpBenchmark<false>(s); }
BENCHMARK(BM_MlpInt8)->ArgName("batch")->Arg(1)->Arg(32)->Arg(360)->UseRealTime();
BENCHMARK(BM_MlpFp32)->ArgName("batch")->Arg(1)->Arg(32)->Arg(360)->UseRealTime();

// The digits CNN (3x3 convs 1->16 on 8x8 and 16->32 on 4x4, pools, a Linear), calibrated the
// same way: quantized convolutions (im2col, the int8 GEMM, the epilogue) against the fp32 ones.
template <bool kQuantized>
void CnnBenchmark(benchmark::State& state) {
  const int64_t batch = state.range(0);
  Generator gen(4);
  const std::shared_ptr<Sequential> cnn = digits::BuildCnn(gen);
  const std::shared_ptr<Sequential> int8 =
      QuantizeModel(*cnn, {}, Tensor::RandN({64, 1, 8, 8}, gen));
  const Tensor x = Tensor::RandN({batch, 1, 8, 8}, gen);
  const NoGradGuard no_grad;
  for (auto _ : state) {
    Tensor y = kQuantized ? (*int8)(x) : (*cnn)(x);
    benchmark::DoNotOptimize(y.data<float>());
    benchmark::ClobberMemory();
  }
  SetOps(state, batch, 1, 16 * 64 * 9 + 32 * 16 * 144 + 128 * 10);
}
void BM_CnnInt8(benchmark::State& s) { CnnBenchmark<true>(s); }
void BM_CnnFp32(benchmark::State& s) { CnnBenchmark<false>(s); }
BENCHMARK(BM_CnnInt8)->ArgName("batch")->Arg(1)->Arg(32)->UseRealTime();
BENCHMARK(BM_CnnFp32)->ArgName("batch")->Arg(1)->Arg(32)->UseRealTime();

}  // namespace
}  // namespace tinytorch

TT_BENCHMARK_MAIN()
