// Module 15 validation claims on the trained digits MLP and CNN: int8 quantization. Sizes are
// exact byte counts; accuracy changes are paired over the same test images with a Student-t
// interval; speedups come from PerformanceComparator.
#include <gtest/gtest.h>

#include <string>

#include "perf_framework/comparator.h"
#include "support/claims.h"
#include "support/digits_models.h"
#include "tinytorch/tinytorch.h"

namespace tinytorch {
namespace {

using perf::ClaimKind;
using perf::Evidence;
using testing::CheckClaim;
using testing::ExactEvidence;
using testing::PairedAccuracyDelta;
using testing::WeightByteRatio;

std::shared_ptr<Sequential> Int8Mlp() {
  const auto& d = testing::Digits();
  return QuantizeModel(*testing::TrainedDigitsMlp(), {}, d.train_x.Slice(0, 0, 256));
}

TEST(QuantizationPerfTest, Int8KeepsAccuracyInAQuarterOfTheBytes) {
  CheckClaim({"module_15_quantization", "int8_digits_mlp_size_and_accuracy",
              "int8 weights are >= 3.9x smaller than fp32, lose <= 1 point of digits accuracy "
              "and agree on >= 98% of predictions",
              "ratio / points / agreement", ClaimKind::kContract, 3.9, [] {
                const auto fp32 = testing::TrainedDigitsMlp();
                const auto int8 = Int8Mlp();
                const double ratio = WeightByteRatio(*fp32, *int8);
                const double agreement = testing::Agreement(*int8, *fp32, testing::Digits().test_x);
                const Evidence delta = PairedAccuracyDelta(*fp32, *int8, testing::Digits().test_x,
                                                           testing::Digits().test_y);
                // "Loses at most 1 point": the estimate, not its interval, since with 360 test
                // images the interval of a paired difference spans about ±1 point by itself.
                Evidence point = delta;
                point.low = point.high = Evidence::kNone;
                return perf::Combine(
                    {perf::DecideAtLeast(ExactEvidence(ratio, "x",
                                                       {{"fp32_bytes", WeightBytes(*fp32)},
                                                        {"int8_bytes", WeightBytes(*int8)}}),
                                         3.9, "weight-size ratio"),
                     perf::DecideAtLeast(point, -1.0, "accuracy change"),
                     perf::DecideAtLeast(ExactEvidence(agreement, "fraction", {}), 0.98,
                                         "prediction agreement")});
              }});
}

// fp32 time / int8 time of two models' inference on x.
perf::Evidence SpeedupOf(const std::string& name, Module& fp32, Module& int8, const Tensor& x) {
  const NoGradGuard no_grad;
  perf::PerformanceComparator comparator({.max_seconds = 8});
  return perf::SpeedupEvidence(comparator.Compare(name, [&] { fp32(x); }, [&] { int8(x); }));
}

// fp32 time / int8 time of the trained digits MLP on `batch` test images; the fp32 side runs the
// default MatMul backend (the best this machine has, per acceleration.h).
perf::Evidence Int8Speedup(int64_t batch) {
  return SpeedupOf("digits mlp fp32 vs int8", *testing::TrainedDigitsMlp(), *Int8Mlp(),
                   testing::Digits().test_x.Slice(0, 0, batch).Contiguous());
}

TEST(QuantizationPerfTest, PublishedInt8MemoryAndSpeed) {
  CheckClaim(
      perf::MakeClaim({"module_15_quantization", "int8_4x_memory",
                       "INT8 gives 4x less memory (taken as 3.5-4x of the fp32 weight bytes)",
                       "ratio", ClaimKind::kPublishedClaim, "weight-size ratio"},
                      perf::Bound::Within(3.5, 4.0), [] {
                        const auto fp32 = testing::TrainedDigitsMlp();
                        return ExactEvidence(WeightByteRatio(*fp32, *Int8Mlp()), "x", {});
                      }));
  // Latency (one image) and throughput (the whole test set) are different claims; the report
  // shows both.
  for (const int64_t batch : {int64_t{1}, int64_t{360}}) {
    CheckClaim(perf::MakeClaim(
        {"module_15_quantization", "int8_2_to_4x_speedup_batch" + std::to_string(batch),
         "INT8 gives a 2-4x speedup (digits MLP, batch of " + std::to_string(batch) + ")",
         "speedup", ClaimKind::kPublishedClaim},
        perf::Bound::Within(2, 4), [batch] { return Int8Speedup(batch); }));
  }
}

// Target: int8 at least twice as fast as the best fp32 (the default MatMul backend, chosen per
// machine) at latency, small-batch and throughput sizes.
TEST(QuantizationPerfTest, TargetInt8TwiceBestFp32) {
  for (const int64_t batch : {int64_t{1}, int64_t{32}, int64_t{360}}) {
    CheckClaim(perf::MakeClaim(
        {"module_15_quantization", "int8_vs_best_fp32_batch" + std::to_string(batch),
         "INT8 runs the digits MLP at least 2x as fast as the best fp32 GEMM (batch of " +
             std::to_string(batch) + ")",
         "speedup", ClaimKind::kTarget},
        perf::Bound::AtLeast(2.0), [batch] { return Int8Speedup(batch); }));
  }
}

// fp32 time / int8 time of the trained digits CNN on `batch` test images (the float model's
// convolutions run their own best path: Winograd, the packed GEMM).
perf::Evidence Int8CnnSpeedup(int64_t batch) {
  const auto& d = testing::Digits();
  const auto fp32 = testing::TrainedDigitsCnn();
  const auto int8 = QuantizeModel(*fp32, {}, testing::AsImages(d.train_x.Slice(0, 0, 256)));
  return SpeedupOf("digits cnn fp32 vs int8", *fp32, *int8,
                   testing::AsImages(d.test_x.Slice(0, 0, batch)).Contiguous());
}

// Target: the quantized CNN twice as fast as the float one, as for the MLP. Its convolutions are
// small (1 -> 16 -> 32 channels on 8 x 8 and 4 x 4 maps), so the layout work around the int8
// product (the codes' rows, the pools fused on the channels-last product, the transposed store)
// weighs more than in the MLP.
TEST(QuantizationPerfTest, TargetInt8CnnTwiceFp32) {
  for (const int64_t batch : {int64_t{1}, int64_t{32}}) {
    CheckClaim(perf::MakeClaim(
        {"module_15_quantization", "int8_cnn_vs_fp32_batch" + std::to_string(batch),
         "INT8 runs the digits CNN at least 2x as fast as fp32 (batch of " +
             std::to_string(batch) + ")",
         "speedup", ClaimKind::kTarget},
        perf::Bound::AtLeast(2.0), [batch] { return Int8CnnSpeedup(batch); }));
  }
}

}  // namespace
}  // namespace tinytorch
