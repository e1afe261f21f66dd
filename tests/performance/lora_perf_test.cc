// Module 13 validation claims for LoRA: how many fewer parameters a rank-8 adapter trains
// (exact), that merging keeps the outputs (contract), and whether merged inference is faster than
// running the adapter beside the base (published claim, eager against eager in one process).
#include <gtest/gtest.h>

#include "perf_framework/comparator.h"
#include "support/claims.h"
#include "tinytorch/tinytorch.h"

namespace tinytorch {
namespace {

using perf::ClaimKind;
using testing::CheckClaim;
using testing::ExactEvidence;

constexpr const char* kModule = "module_13_transformers";

// A 512 → 512 adapted projection with a trained-looking (non-zero) B.
struct Adapted {
  Generator gen{21};
  Linear base{512, 512, gen};
  LoRALinear lora{base, gen, 8, 16.f};
  Tensor x = Tensor::RandN({64, 512}, gen);
  Adapted() {
    const NoGradGuard no_grad;
    Tensor b = lora.lora_b();
    b.CopyFrom(Tensor::RandN({8, 512}, gen, 0.f, 0.05f));
  }
};

TEST(LoRAPerfTest, ARank8AdapterTrainsFarFewerParameters) {
  CheckClaim(perf::MakeClaim(
      {kModule, "lora_parameter_reduction",
       "A rank-8 adapter on a 512x512 Linear trains at least 30x fewer parameters than "
       "fine-tuning the layer",
       "x fewer", ClaimKind::kContract, "parameter reduction"},
      perf::Bound::AtLeast(30), [] {
        Adapted a;
        const double full = static_cast<double>(a.base.NumParameters());
        const double adapter = static_cast<double>(a.lora.NumParameters());
        return ExactEvidence(full / adapter, "x", {{"full", full}, {"adapter", adapter}});
      }));
}

TEST(LoRAPerfTest, MergingKeepsTheOutputs) {
  CheckClaim(perf::MakeClaim(
      {kModule, "lora_merge_preserves_outputs",
       "Merge() folds the adapter into the weight with outputs equal to the unmerged layer "
       "within 1e-4 (batch 64, 512 -> 512, rank 8)",
       "max abs difference", ClaimKind::kContract},
      perf::Bound::AtMost(1e-4), [] {
        Adapted a;
        const NoGradGuard no_grad;
        const Tensor unmerged = a.lora.Forward(a.x);
        a.lora.Merge();
        const double diff = MaxAbsDiff(a.lora.Forward(a.x), unmerged);
        return ExactEvidence(diff, "", {{"max_abs_output", MaxAbsDiff(unmerged, unmerged * 0.f)}});
      }));
}

TEST(LoRAPerfTest, MergedInferenceIsFaster) {
  CheckClaim(perf::MakeClaim(
      {kModule, "lora_merged_inference_faster",
       "A merged adapter runs faster than the base plus adapter path (batch 64, 512 -> 512, rank "
       "8)",
       "speedup", ClaimKind::kPublishedClaim},
      perf::Bound::AtLeast(1.0), [] {
        Adapted unmerged, merged;
        merged.lora.Merge();
        const NoGradGuard no_grad;
        perf::PerformanceComparator comparator({.max_seconds = 8});
        return perf::SpeedupEvidence(comparator.Compare(
            "lora unmerged vs merged", [&] { unmerged.lora.Forward(unmerged.x); },
            [&] { merged.lora.Forward(merged.x); },
            [&] {
              return AllClose(merged.lora.Forward(merged.x), unmerged.lora.Forward(unmerged.x),
                              1e-4, 1e-4);
            }));
      }));
}

}  // namespace
}  // namespace tinytorch
