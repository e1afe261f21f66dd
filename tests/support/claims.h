// Validation claims inside GoogleTest. Each claim of the validation suites (tests/performance/)
// is one gtest that calls CheckClaim: the claim is measured through perf::PerformanceTestSuite
// (exceptions and timeouts become ERROR), its verdict and evidence are printed, recorded as test
// properties and, when TT_VALIDATION_DIR is set (run_all sets it), written atomically to
// $TT_VALIDATION_DIR/<module>.<id>.json as a one-claim results file that run_all merges into the
// report. The assertion follows the claim's kind: a contract must PASS; a published claim or a
// target must only have been validly measured (any verdict but ERROR), since the hardware may not
// show it. A claim that ran on a degraded BLAS (perf::ProcessBlas, or tinytorch's own measurement)
// carries the flag (perf::FlagDegradedReference).
#pragma once

#include "perf_framework/suite.h"
#include "tinytorch/layers.h"

namespace tinytorch::testing {

// Whether the claim's reference side calls BLAS where tinytorch's call counter (BlasCalls) cannot
// see it: libtorch calls its own copy of OpenBLAS, with the same kernel choice.
enum class ExternalBlas { kNo, kYes };
perf::ClaimResult CheckClaim(perf::Claim claim, ExternalBlas external = ExternalBlas::kNo);

// Evidence for a quantity measured exactly (a byte count, a ratio of counts): no interval.
perf::Evidence ExactEvidence(double value, const std::string& unit,
                             nlohmann::json details = nlohmann::json::object());

// optimized's accuracy minus baseline's on (x, y), in points, with Newcombe's paired interval
// (perf::PairedProportionDifference) over the same examples; both accuracies in the details.
perf::Evidence PairedAccuracyDelta(Module& baseline, Module& optimized, const Tensor& x,
                                   const Tensor& y);

// WeightBytes(dense) / WeightBytes(small) (compression.h): how many times smaller the weights are.
double WeightByteRatio(const Module& dense, const Module& small);

}  // namespace tinytorch::testing
