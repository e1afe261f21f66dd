// Module 07 training step: the 512-1024-1024-10 ReLU MLP of the libtorch comparison
// (tests/performance/libtorch_compare_perf_test.cc), forward, cross-entropy, backward and SGD on
// a batch of 128, so the step can be profiled and counted without libtorch in the process.
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "bench_support.h"
#include "tinytorch/activations.h"
#include "tinytorch/losses.h"
#include "tinytorch/optimizers.h"
#include "tinytorch/tensor.h"

namespace tinytorch {
namespace {

void BM_MlpTrainingStep(benchmark::State& state) {
  const int64_t batch = state.range(0);
  Generator gen(33);
  const int64_t sizes[] = {512, 1024, 1024, 10};
  std::vector<Tensor> params;  // w0, b0, w1, b1, w2, b2; weights (in, out)
  for (int l = 0; l < 3; ++l) {
    const float bound = 1.f / std::sqrt(static_cast<float>(sizes[l]));
    params.push_back(Tensor::Rand({sizes[l], sizes[l + 1]}, gen, -bound, bound));
    params.push_back(Tensor::Rand({sizes[l + 1]}, gen, -bound, bound));
  }
  for (Tensor& p : params) p.set_requires_grad(true);
  const Tensor x = Tensor::RandN({batch, 512}, gen);
  std::vector<int64_t> labels(static_cast<size_t>(batch));
  for (int64_t i = 0; i < batch; ++i) labels[static_cast<size_t>(i)] = i % 10;
  const Tensor y = Tensor::FromData(labels, {batch});
  SGD sgd(params, {.lr = 0.01f});
  for (auto _ : state) {
    sgd.ZeroGrad();
    Tensor h = Relu(MatMul(x, params[0]) + params[1]);
    h = Relu(MatMul(h, params[2]) + params[3]);
    const Tensor loss = CrossEntropyLoss()(MatMul(h, params[4]) + params[5], y);
    loss.Backward();
    sgd.Step();
    benchmark::DoNotOptimize(loss.item());
  }
  // The GEMMs: forward, input gradient and weight gradient, 2 flops per multiply-add each.
  bench::SetFlopsPerSecond(state, 6.0 * static_cast<double>(batch) *
                                      (512.0 * 1024 + 1024.0 * 1024 + 1024.0 * 10));
}
BENCHMARK(BM_MlpTrainingStep)->ArgName("batch")->Arg(128)->UseRealTime();

}  // namespace
}  // namespace tinytorch

TT_BENCHMARK_MAIN()
