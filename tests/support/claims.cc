#include "support/claims.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "perf_framework/environment.h"
#include "perf_framework/statistics.h"
#include "tinytorch/acceleration.h"
#include "tinytorch/autograd.h"
#include "tinytorch/compression.h"

namespace tinytorch::testing {

namespace {

// Per test image: 1 when the model's argmax is right.
std::vector<double> Correct(Module& model, const Tensor& x, const Tensor& y) {
  const NoGradGuard no_grad;
  const Tensor predicted = model(x).Argmax(1).Contiguous(), labels = y.Contiguous();
  std::vector<double> correct(static_cast<size_t>(y.size(0)));
  for (int64_t i = 0; i < y.size(0); ++i) {
    correct[i] = predicted.data<int64_t>()[i] == labels.data<int64_t>()[i] ? 1 : 0;
  }
  return correct;
}

}  // namespace

perf::ClaimResult CheckClaim(perf::Claim claim, ExternalBlas external) {
  const std::string module = claim.module, id = claim.id;
  const perf::ClaimKind kind = claim.kind;
  perf::PerformanceTestSuite suite(module);
  suite.Register(std::move(claim));
  const int64_t blas_calls = BlasCalls();
  perf::SuiteResults results = suite.Run();
  EXPECT_EQ(results.claims.size(), 1u);
  if (results.claims.empty()) return {};
  const bool ran_blas = external == ExternalBlas::kYes || BlasCalls() > blas_calls;
  const perf::BlasInfo& blas = perf::ProcessBlas();
  const std::string measured_degraded = DefaultMatMulChoice().degraded_reason;
  if (ran_blas && (blas.degraded || !measured_degraded.empty())) {
    perf::FlagDegradedReference(
        results.claims.front(),
        blas.degraded
            ? "OpenBLAS " + blas.kernel + " kernel on a CPU that calls for " + blas.best_kernel
            : measured_degraded);
  }
  const perf::ClaimResult& r = results.claims.front();
  const perf::Evidence& e = r.outcome.evidence;
  std::printf("  [%s] %s/%s (%s): %s\n", perf::ClaimVerdictName(r.outcome.verdict), module.c_str(),
              id.c_str(), perf::ClaimKindName(kind), r.outcome.reason.c_str());
  ::testing::Test::RecordProperty("verdict", perf::ClaimVerdictName(r.outcome.verdict));
  ::testing::Test::RecordProperty("reason", r.outcome.reason);
  if (std::isfinite(e.value)) ::testing::Test::RecordProperty("value", std::to_string(e.value));
  if (const char* dir = std::getenv("TT_VALIDATION_DIR"); dir != nullptr && *dir != '\0') {
    std::filesystem::create_directories(dir);
    perf::WriteResults(results, std::string(dir) + "/" + module + "." + id + ".json");
  }
  if (kind == perf::ClaimKind::kContract) {
    EXPECT_EQ(r.outcome.verdict, perf::ClaimVerdict::kPass)
        << "contract " << module << "/" << id << ": " << r.outcome.reason;
  } else {
    EXPECT_NE(r.outcome.verdict, perf::ClaimVerdict::kError)
        << perf::ClaimKindName(kind) << " " << module << "/" << id << ": " << r.outcome.reason;
  }
  return r;
}

perf::Evidence ExactEvidence(double value, const std::string& unit, nlohmann::json details) {
  perf::Evidence e;
  e.value = value;
  e.unit = unit;
  e.details = std::move(details);
  return e;
}

perf::Evidence PairedAccuracyDelta(Module& baseline, Module& optimized, const Tensor& x,
                                   const Tensor& y) {
  const std::vector<double> base = Correct(baseline, x, y), opt = Correct(optimized, x, y);
  perf::PairedCounts counts;
  for (size_t i = 0; i < base.size(); ++i) {
    (base[i] > 0 ? (opt[i] > 0 ? counts.both : counts.only_first)
                 : (opt[i] > 0 ? counts.only_second : counts.neither)) += 1;
  }
  const perf::Interval ci = perf::PairedProportionDifference(counts);
  perf::Evidence e;
  e.value = 100 * ci.estimate;
  e.low = 100 * ci.low;
  e.high = 100 * ci.high;
  e.confidence = ci.confidence;
  e.unit = "points";
  e.details = {{"baseline_accuracy", perf::Mean(base)},
               {"optimized_accuracy", perf::Mean(opt)},
               {"examples", base.size()}};
  return e;
}

double WeightByteRatio(const Module& dense, const Module& small) {
  return static_cast<double>(WeightBytes(dense)) / static_cast<double>(WeightBytes(small));
}

}  // namespace tinytorch::testing
