// Negative controls for the validation framework itself: claims whose right verdict is known.
// An "optimization" identical to its baseline must FAIL a speedup claim; injected slowdowns of
// 5%, 10% and 20% are detected at a measured rate (reported with a Wilson interval); and an
// optimization that destroys accuracy is caught. Without these, a PASS elsewhere means little.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "perf_framework/comparator.h"
#include "perf_framework/statistics.h"
#include "support/claims.h"
#include "support/digits_models.h"
#include "support/spin.h"
#include "tinytorch/tinytorch.h"

namespace tinytorch {
namespace {

using perf::ClaimKind;
using perf::ClaimOutcome;
using perf::ClaimVerdict;
using testing::CheckClaim;
using testing::ExactEvidence;

constexpr const char* kModule = "perf_framework";

using testing::Spin;

// The contract on a control: the inner verdict must be `expected`.
ClaimOutcome Expect(const ClaimOutcome& inner, ClaimVerdict expected, const std::string& what) {
  ClaimOutcome o;
  o.evidence = inner.evidence;
  o.verdict = inner.verdict == expected ? ClaimVerdict::kPass : ClaimVerdict::kFail;
  o.reason = what + " got " + perf::ClaimVerdictName(inner.verdict) + " (expected " +
             perf::ClaimVerdictName(expected) + "): " + inner.reason;
  return o;
}

TEST(NegativeControlsPerfTest, IdenticalOptimizationFailsASpeedupClaim) {
  CheckClaim({kModule, "control_identical_is_not_faster",
              "An 'optimization' identical to its baseline FAILs the claim 'at least 5% faster'",
              "speedup", ClaimKind::kContract, 1.05, [] {
                uint64_t sink = 0;
                perf::PerformanceComparator comparator;
                const auto work = [&] { sink += Spin(20000); };
                const auto c = comparator.Compare("identical", work, work);
                perf::DoNotOptimize(sink);
                return Expect(perf::DecideAtLeast(perf::SpeedupEvidence(c), 1.05, "speedup"),
                              ClaimVerdict::kFail, "the identical optimization");
              }});
}

// Of `trials` comparisons of Spin(n) against Spin(n·(1 + slowdown)), how many were declared
// slower (significant at the comparator's alpha)?
perf::Evidence DetectionRate(double slowdown, int trials) {
  uint64_t sink = 0;
  perf::PerformanceComparator comparator({.max_seconds = 3});
  int detected = 0;
  const auto base = int64_t{20000};
  const auto slow = static_cast<int64_t>(20000 * (1 + slowdown));
  for (int t = 0; t < trials; ++t) {
    const auto c = comparator.Compare(
        "injected slowdown", [&] { sink += Spin(base); }, [&] { sink += Spin(slow); });
    detected += c.verdict == perf::Verdict::kSlower;
  }
  perf::DoNotOptimize(sink);
  const perf::Interval rate = perf::WilsonInterval(detected, trials);
  perf::Evidence e =
      ExactEvidence(rate.estimate, "detection rate",
                    {{"detected", detected}, {"trials", trials}, {"injected_slowdown", slowdown}});
  e.low = rate.low;
  e.high = rate.high;
  e.confidence = rate.confidence;
  return e;
}

TEST(NegativeControlsPerfTest, InjectedSlowdownsAreDetected) {
  // 20% must be caught essentially always (the published claim below asks "reliably"); the
  // smaller injections are reported with their rates.
  CheckClaim({kModule, "control_slowdown_20pct_detected",
              "An injected 20% slowdown is declared slower in at least 18 of 20 comparisons",
              "detection rate", ClaimKind::kContract, 0.9, [] {
                ClaimOutcome r;
                r.evidence = DetectionRate(0.20, 20);
                const int detected = r.evidence.details["detected"];
                r.verdict = detected >= 18 ? ClaimVerdict::kPass : ClaimVerdict::kFail;
                r.reason = std::to_string(detected) + " of 20 detected (at least 18 required)";
                return r;
              }});
  CheckClaim(perf::MakeClaim({kModule, "benchmarking_detects_over_20pct_reliably",
                              "Benchmarking detects differences > 20% reliably (taken as a "
                              "detection rate whose 95% interval lies above 0.9)",
                              "detection rate", ClaimKind::kPublishedClaim},
                             perf::Bound::AtLeast(0.9), [] { return DetectionRate(0.25, 60); }));
  for (const double slowdown : {0.05, 0.10}) {
    const std::string pct = std::to_string(static_cast<int>(slowdown * 100));
    CheckClaim(perf::MakeClaim(
        {kModule, "control_slowdown_" + pct + "pct_detection_rate",
         "An injected " + pct + "% slowdown is detected in at least half the comparisons",
         "detection rate", ClaimKind::kPublishedClaim},
        perf::Bound::AtLeast(0.5), [slowdown] { return DetectionRate(slowdown, 10); }));
  }
}

TEST(NegativeControlsPerfTest, AccuracyDestroyingOptimizationIsCaught) {
  CheckClaim({kModule, "control_accuracy_destroyed_is_caught",
              "An 'optimization' that zeroes the digits MLP's last layer FAILs 'loses <= 1 point'",
              "points", ClaimKind::kContract, -1.0, [] {
                const auto& d = testing::Digits();
                const auto model = testing::TrainedDigitsMlp();
                auto broken = StructuredPrune(*model, 0.0);  // a deep copy
                {
                  const NoGradGuard no_grad;
                  auto& last = dynamic_cast<Linear&>(*broken->NamedChildren().back().second);
                  Tensor w = last.weight();
                  w.Fill(0.f);
                }
                return Expect(perf::DecideAtLeast(
                                  testing::PairedAccuracyDelta(*model, *broken, d.test_x, d.test_y),
                                  -1.0, "accuracy change"),
                              ClaimVerdict::kFail, "the accuracy-destroying optimization");
              }});
}

}  // namespace
}  // namespace tinytorch
