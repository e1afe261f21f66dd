// Module 16 validation claims on the trained digits MLP: magnitude pruning stored as CSR. Sizes are
// exact byte counts; accuracy changes are paired over the same test images with a Student-t
// interval.
#include <gtest/gtest.h>

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

std::shared_ptr<Sequential> PrunedCsr(double sparsity) {
  auto copy = StructuredPrune(*testing::TrainedDigitsMlp(), 0.0);  // a deep copy
  MagnitudePrune(*copy, sparsity);
  return ToSparse(*copy);
}

TEST(CompressionPerfTest, NinetyPercentCsrTakesAQuarterOfTheBytes) {
  CheckClaim(perf::MakeClaim(
      {"module_16_compression", "prune90_csr_bytes",
       "90% magnitude pruning stored as CSR takes <= 25% of the dense weight bytes", "fraction",
       ClaimKind::kContract, "CSR/dense bytes"},
      perf::Bound::AtMost(0.25), [] {
        const auto dense = testing::TrainedDigitsMlp();
        const auto sparse = PrunedCsr(0.9);
        return ExactEvidence(
            1 / WeightByteRatio(*dense, *sparse), "fraction",
            {{"dense_bytes", WeightBytes(*dense)}, {"csr_bytes", WeightBytes(*sparse)}});
      }));
}

TEST(CompressionPerfTest, PublishedPruningWithoutAccuracyLoss) {
  CheckClaim(
      {"module_16_compression", "pruning_9_to_13x_no_accuracy_loss",
       "Pruning gives 9-13x fewer parameters without accuracy loss (90% magnitude "
       "pruning of the digits MLP, no fine-tuning)",
       "ratio / points", ClaimKind::kPublishedClaim, 9.0, [] {
         const auto dense = testing::TrainedDigitsMlp();
         auto pruned = StructuredPrune(*dense, 0.0);
         MagnitudePrune(*pruned, 0.9);
         const double fewer = 1 / (1 - WeightSparsity(*pruned));
         // "Without loss": the paired interval of the change reaches above −1 point.
         Evidence delta = PairedAccuracyDelta(*dense, *pruned, testing::Digits().test_x,
                                              testing::Digits().test_y);
         return perf::Combine(
             {perf::DecideWithin(ExactEvidence(fewer, "x", {{"sparsity", WeightSparsity(*pruned)}}),
                                 9, 13, "parameter reduction"),
              perf::DecideAtLeast(std::move(delta), -1.0, "accuracy change")});
       }});
}

}  // namespace
}  // namespace tinytorch
