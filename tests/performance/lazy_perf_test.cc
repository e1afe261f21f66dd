// Module 17 validation claims for lazy execution: lazy results equal eager ones (contract); fusion
// speeds up the complex graph and an elementwise chain, and recording costs little per op
// (published claims: reported with the verdict this machine gives them). Speedups come from
// PerformanceComparator (paired interleaved rounds, sign test, order-statistic interval), eager
// against lazy in the same process.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>

#include "perf_framework/comparator.h"
#include "perf_framework/timer.h"
#include "support/claims.h"
#include "tinytorch/tinytorch.h"

namespace tinytorch {
namespace {

using perf::Bound;
using perf::ClaimKind;
using testing::CheckClaim;
using testing::ExactEvidence;

constexpr const char* kModule = "module_17_acceleration";

int64_t BitMismatches(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return std::max(a.numel(), b.numel());
  const std::vector<float> x = a.ToVector(), y = b.ToVector();
  int64_t bad = 0;
  for (size_t i = 0; i < x.size(); ++i) bad += std::memcmp(&x[i], &y[i], sizeof(float)) != 0;
  return bad;
}

template <class T>
T Chain(const T& x, const T& y) {
  return Relu((x * 1.5f + y) * 0.5f - 0.25f) * (y - x) + 1.f;
}

struct Inputs {
  Tensor a, b, c, x, y;
  Inputs(int64_t n, int64_t chain) {
    Generator gen(11);
    a = Tensor::RandN({n, n}, gen);
    b = Tensor::RandN({n, n}, gen);
    c = Tensor::RandN({n, n}, gen);
    x = Tensor::RandN({chain}, gen);
    y = Tensor::RandN({chain}, gen);
  }
};

perf::Evidence LazySpeedup(const std::string& name, const std::function<Tensor()>& eager,
                           const std::function<Tensor()>& lazy) {
  const NoGradGuard no_grad;
  perf::PerformanceComparator comparator({.max_seconds = 8});
  return perf::SpeedupEvidence(comparator.Compare(
      name, [&] { eager(); }, [&] { lazy(); },
      [&] { return BitMismatches(eager(), lazy()) == 0; }));
}

TEST(LazyPerfTest, LazyResultsEqualEagerBitForBit) {
  CheckClaim(perf::MakeClaim(
      {kModule, "lazy_equals_eager",
       "Lazy evaluation (fused, simplified, buffers reused) gives the eager results bit for bit: "
       "softmax(a@b + c*2), an 8-op chain, a LoRA layer and the digits MLP's layers",
       "mismatched elements", ClaimKind::kContract},
      Bound::AtMost(0), [] {
        const Inputs in(128, 1 << 16);
        Generator gen(12);
        Linear base(256, 128, gen);
        LoRALinear lora(base, gen, 8, 16.f);
        {
          NoGradGuard no_grad;
          Tensor b = lora.lora_b();
          b.CopyFrom(Tensor::RandN({8, 128}, gen));
        }
        const Tensor h = Tensor::RandN({64, 256}, gen);
        const NoGradGuard no_grad;
        int64_t bad = 0, checked = 0;
        const auto check = [&](const Tensor& lazy, const Tensor& eager) {
          bad += BitMismatches(lazy, eager);
          checked += eager.numel();
        };
        check(Softmax(MatMul(Lazy(in.a), Lazy(in.b)) + Lazy(in.c) * 2.f).Eval(),
              Softmax(MatMul(in.a, in.b) + in.c * 2.f));
        check(Chain(Lazy(in.x), Lazy(in.y)).Eval(), Chain(in.x, in.y));
        check(lora.Forward(Lazy(h)).Eval(), lora.Forward(h));
        check(Gelu(MatMul(Lazy(h), Lazy(base.weight())) + Lazy(base.bias())).Eval(),
              Gelu(MatMul(h, base.weight()) + base.bias()));
        return ExactEvidence(static_cast<double>(bad), "elements", {{"checked", checked}});
      }));
}

TEST(LazyPerfTest, FusionSpeedsUpTheComplexGraph) {
  CheckClaim(perf::MakeClaim(
      {kModule, "lazy_fusion_complex_graph_faster",
       "Lazy evaluation of softmax(a @ b + c * 2.0) at 256x256 (the add and scale fused into "
       "one pass written over the product) is faster than eager",
       "speedup", ClaimKind::kPublishedClaim},
      Bound::AtLeast(1.0), [] {
        const Inputs in(256, 1);
        return LazySpeedup(
            "complex graph eager vs lazy", [&] { return Softmax(MatMul(in.a, in.b) + in.c * 2.f); },
            [&] { return Softmax(MatMul(Lazy(in.a), Lazy(in.b)) + Lazy(in.c) * 2.f).Eval(); });
      }));
}

TEST(LazyPerfTest, FusionSpeedsUpAnElementwiseChain) {
  CheckClaim(perf::MakeClaim(
      {kModule, "lazy_fusion_chain_faster",
       "Fusing an 8-op elementwise chain over 1M floats into one pass is at least 2x faster than 8 "
       "eager passes",
       "speedup", ClaimKind::kPublishedClaim},
      Bound::AtLeast(2.0), [] {
        const Inputs in(1, 1 << 20);
        return LazySpeedup(
            "chain eager vs lazy", [&] { return Chain(in.x, in.y); },
            [&] { return Chain(Lazy(in.x), Lazy(in.y)).Eval(); });
      }));
}

// Recording cost per op, as a fraction of what the same op costs to run eagerly on a small
// (1024-float) tensor: both timed here, so the figure is a ratio, not an absolute time.
TEST(LazyPerfTest, RecordingCostsLessThanRunningASmallOp) {
  CheckClaim(
      perf::
          MakeClaim(
              {kModule, "lazy_record_overhead",
               "Recording an op in a lazy graph costs less than half of running it eagerly on 1024 "
               "floats",
               "fraction", ClaimKind::kPublishedClaim, "recording cost / eager cost"},
              Bound::AtMost(0.5), [] {
                Generator gen(13);
                const Tensor x = Tensor::RandN({1024}, gen);
                constexpr int kOps = 64;
                perf::ScientificTimer timer({.max_seconds = 3});
                const perf::Measurement record = timer.Measure("record 64 ops", [&] {
                  LazyTensor y = Lazy(x);
                  for (int i = 0; i < kOps; ++i) y = y * 0.999f;
                  const LazyNode* node = y.node().get();
                  perf::DoNotOptimize(node);
                });
                const perf::Measurement run = timer.Measure("run 64 eager ops", [&] {
                  Tensor y = x;
                  for (int i = 0; i < kOps; ++i) y = y * 0.999f;
                  float* data = y.data<float>();
                  perf::DoNotOptimize(data);
                });
                perf::Evidence e;
                e.value = record.median_ns / run.median_ns;
                e.low = record.median_ci.low / run.median_ci.high;
                e.high = record.median_ci.high / run.median_ci.low;
                e.unit = "fraction";
                e.details = {{"record_ns_per_op", record.median_ns / kOps},
                             {"eager_ns_per_op", run.median_ns / kOps},
                             {"interval", "ratio of the two medians' order-statistic intervals"}};
                return e;
              }));
}

}  // namespace
}  // namespace tinytorch
