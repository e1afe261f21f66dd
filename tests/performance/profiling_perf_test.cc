// Module 14 validation claims: the profiler's counts are exact where exactness is possible. FLOPs
// of Linear, Conv2d (stride and padding) and self-attention equal the counts written out from the
// definitions (a multiply-add is 2 FLOPs), and the memory profiler sees a 1 MiB and a 10 MiB
// activation within 5%.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "support/claims.h"
#include "tinytorch/tinytorch.h"

namespace tinytorch {
namespace {

using perf::ClaimKind;
using testing::CheckClaim;
using testing::ExactEvidence;

constexpr const char* kModule = "module_14_profiling";

// The contract "counted == expected", with both numbers in the evidence.
perf::Claim ExactCountClaim(std::string id, std::string statement,
                            std::function<std::pair<int64_t, int64_t>()> counted_and_expected) {
  return perf::MakeClaim(
      {kModule, std::move(id), std::move(statement), "FLOPs", ClaimKind::kContract,
       "counted / expected FLOPs"},
      perf::Bound::Within(1.0, 1.0), [counted_and_expected = std::move(counted_and_expected)] {
        const auto [counted, expected] = counted_and_expected();
        const double ratio = static_cast<double>(counted) / static_cast<double>(expected);
        return ExactEvidence(ratio, "counted / expected",
                             {{"counted", counted}, {"expected", expected}});
      });
}

TEST(ProfilingPerfTest, LinearFlopsAreExact) {
  CheckClaim(ExactCountClaim(
      "flops_linear_exact",
      "CountFlops of Linear(768 -> 3072) on 4 x 128 rows is 2*rows*in*out + rows*out", [] {
        Generator gen(14);
        Linear linear(768, 3072, gen);
        const int64_t rows = 4 * 128;
        return std::pair<int64_t, int64_t>{CountFlops(linear, Tensor::Zeros({4, 128, 768})),
                                           2 * rows * 768 * 3072 + rows * 3072};
      }));
}

TEST(ProfilingPerfTest, Conv2dFlopsAreExact) {
  CheckClaim(ExactCountClaim(
      "flops_conv2d_exact",
      "CountFlops of Conv2d(16 -> 32, 5x5, stride 2, padding 2) on 8 x 16 x 31 x 29 is "
      "2*N*O*Ho*Wo*C*k^2 + N*O*Ho*Wo",
      [] {
        Generator gen(14);
        Conv2d conv(16, 32, 5, gen, /*stride=*/2, /*padding=*/2);
        // Ho = (31 + 4 - 5)/2 + 1 = 16, Wo = (29 + 4 - 5)/2 + 1 = 15.
        const int64_t outputs = int64_t{8} * 32 * 16 * 15;
        return std::pair<int64_t, int64_t>{CountFlops(conv, Tensor::Zeros({8, 16, 31, 29})),
                                           2 * outputs * 16 * 25 + outputs};
      }));
}

TEST(ProfilingPerfTest, AttentionFlopsAreExact) {
  CheckClaim(
      ExactCountClaim("flops_attention_exact",
                      "CountFlops of 8-head self-attention on (2, 64, 256) is 4 projections + "
                      "2*B*T^2*E (scores) + B*H*T^2 (softmax) + 2*B*T^2*E (weighted values)",
                      [] {
                        Generator gen(14);
                        const int64_t b = 2, t = 64, e = 256, h = 8;
                        MultiHeadAttention attention(e, h, gen, /*causal=*/true);
                        const int64_t projections = 4 * (2 * b * t * e * e + b * t * e);
                        return std::pair<int64_t, int64_t>{
                            CountFlops(attention, Tensor::Zeros({b, t, e})),
                            projections + 2 * b * t * t * e + b * h * t * t + 2 * b * t * t * e};
                      }));
}

// A ReLU's only allocation is its output, so the profiler's peak must be that output's size.
TEST(ProfilingPerfTest, MemoryProfilerSeesOneAndTenMebibytes) {
  CheckClaim(perf::MakeClaim(
      {kModule, "memory_profiler_1mib_vs_10mib",
       "MeasureMemory(model) reports the peak activation of a ReLU producing 1 MiB and "
       "10 MiB within 5%",
       "relative error", ClaimKind::kContract, "worst relative error"},
      perf::Bound::AtMost(0.05), [] {
        ReLULayer relu;
        nlohmann::json details = nlohmann::json::object();
        double worst = 0;
        for (const int64_t mib : {1, 10}) {
          const int64_t bytes = mib << 20;
          const MemoryProfile m = MeasureMemory(relu, Tensor::Zeros({bytes / 4 / 1024, 1024}));
          worst = std::max(worst,
                           std::abs(static_cast<double>(m.peak_activation_bytes - bytes)) / bytes);
          details[std::to_string(mib) + "_mib"] = {
              {"peak_activation_bytes", m.peak_activation_bytes},
              {"allocated_bytes", m.allocated_bytes},
              {"output_bytes", m.output_bytes}};
        }
        return ExactEvidence(worst, "fraction", details);
      }));
}

}  // namespace
}  // namespace tinytorch
