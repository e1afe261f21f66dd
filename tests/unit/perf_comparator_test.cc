// PerformanceComparator: the decision rule on synthetic speedups, the ABBA protocol and error
// paths against a fake clock, and the error rates of the whole sequential procedure simulated
// with known truth (seeded log-normal noise on simulated time).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include "perf_framework/comparator.h"

namespace perf {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::NiceMock;

class MockClock : public Clock {
 public:
  MOCK_METHOD(int64_t, NowNs, (), (override));
};

struct FakeTime {
  explicit FakeTime(NiceMock<MockClock>& clock) {
    ON_CALL(clock, NowNs()).WillByDefault([this] { return ++now; });
  }
  int64_t now = 0;
};

// ---------------------------------------------------------------------------------------------
// The decision rule.

TEST(PerfComparatorTest, DecisionRuleOnSyntheticSpeedups) {
  EXPECT_EQ(DecideFromSpeedups(std::vector<double>(20, 1.2), 0.99, 0.01).verdict, Verdict::kFaster);
  EXPECT_EQ(DecideFromSpeedups(std::vector<double>(20, 0.8), 0.99, 0.01).verdict, Verdict::kSlower);
  std::vector<double> flat;
  for (int i = 0; i < 40; ++i) flat.push_back(1 + 0.002 * ((i % 5) - 2));
  const ComparisonResult eq = DecideFromSpeedups(flat, 0.99, 0.01);
  EXPECT_EQ(eq.verdict, Verdict::kEquivalent);
  EXPECT_THAT(eq.reason, HasSubstr("within ±1.0%"));
  std::vector<double> noisy;
  for (int i = 0; i < 16; ++i) noisy.push_back(i % 2 ? 1.1 : 0.92);
  const ComparisonResult inc = DecideFromSpeedups(noisy, 0.99, 0.01);
  EXPECT_EQ(inc.verdict, Verdict::kInconclusive);
  EXPECT_GT(inc.rounds_to_settle, 16);
  EXPECT_THAT(inc.reason, HasSubstr("rounds would settle it"));
}

TEST(PerfComparatorTest, LooksDoubleFromMinToMaxRounds) {
  NiceMock<MockClock> clock;
  FakeTime time(clock);
  PerformanceComparator c({}, clock);
  EXPECT_THAT(c.LookSchedule(), ElementsAre(16, 32, 64, 128, 256));
  ComparatorOptions o;
  o.min_rounds = 10;
  o.max_rounds = 50;
  EXPECT_THAT(PerformanceComparator(o, clock).LookSchedule(), ElementsAre(10, 20, 40, 50));
  o.min_rounds = 3;
  EXPECT_THROW(PerformanceComparator(o, clock), Error);
}

// ---------------------------------------------------------------------------------------------
// Protocol, against simulated time.

TEST(PerfComparatorTest, ExactTenPercentSpeedupIsFoundAtTheFirstLook) {
  NiceMock<MockClock> clock;
  FakeTime time(clock);
  PerformanceComparator c({}, clock);
  const ComparisonResult r = c.Compare(
      "ten percent", [&] { time.now += 1100; }, [&] { time.now += 1000; });
  EXPECT_EQ(r.verdict, Verdict::kFaster);
  EXPECT_EQ(r.rounds, 16);
  EXPECT_EQ(r.looks, 1);
  EXPECT_NEAR(r.speedup.estimate, 1.1, 1e-3);
  EXPECT_NEAR(r.p_value, 2 * std::pow(0.5, 16), 1e-12);
  EXPECT_NEAR(r.baseline_median_ns, 1100, 1);
  EXPECT_NEAR(r.candidate_median_ns, 1000, 1);
}

// 16 log speedups of ±0.01: robust σ = 1.4826 · 0.01. The sign test's standard error is
// √(π/2) · σ/√16, so at 99% and 80% power expm1((2.5758 + 0.8416) · 1.2533 · 0.014826 / 4) =
// 1.600% (1.275% would be a t-test's, which the decision is not).
TEST(PerfComparatorTest, MinimumDetectableChangeIsTheSignTests) {
  std::vector<double> speedups;
  for (int i = 0; i < 16; ++i) speedups.push_back(std::exp(i % 2 ? 0.01 : -0.01));
  EXPECT_NEAR(DecideFromSpeedups(speedups, 0.99, 0.05).minimum_detectable_change,
              0.016002163643976833, 1e-9);
}

TEST(PerfComparatorTest, IdenticalCostsAreEquivalent) {
  NiceMock<MockClock> clock;
  FakeTime time(clock);
  PerformanceComparator c({}, clock);
  const ComparisonResult r = c.Compare(
      "same", [&] { time.now += 500; }, [&] { time.now += 500; });
  EXPECT_EQ(r.verdict, Verdict::kEquivalent);
  EXPECT_NEAR(r.speedup.estimate, 1.0, 1e-4);
}

TEST(PerfComparatorTest, RoundsAlternateABBAandBAAB) {
  NiceMock<MockClock> clock;
  FakeTime time(clock);
  ComparatorOptions o;
  o.min_rounds = 6;
  o.max_rounds = 6;
  PerformanceComparator c(o, clock);
  std::string order;
  c.CompareBatches(
      "order",
      [&](int64_t k) {
        order += 'A';
        time.now += 1000 * k;
      },
      [&](int64_t k) {
        order += 'B';
        time.now += 1000 * k;
      });
  // Calibration and warm-up come first; the last 24 runs are the six rounds.
  EXPECT_EQ(order.substr(order.size() - 24), "ABBABAABABBABAABABBABAAB");
}

TEST(PerfComparatorTest, ThrowingCandidateIsAnErrorResultNotACrash) {
  NiceMock<MockClock> clock;
  FakeTime time(clock);
  PerformanceComparator c({}, clock);
  int calls = 0;
  const ComparisonResult r = c.Compare(
      "throws", [&] { time.now += 100; },
      [&] {
        if (++calls > 3) throw std::runtime_error("model exploded");
        time.now += 100;
      });
  EXPECT_EQ(r.verdict, Verdict::kError);
  EXPECT_THAT(r.error, HasSubstr("model exploded"));
  EXPECT_THAT(r.reason, HasSubstr("could not be measured"));
}

TEST(PerfComparatorTest, DifferentOutputsStopBeforeTiming) {
  NiceMock<MockClock> clock;
  FakeTime time(clock);
  PerformanceComparator c({}, clock);
  int timed = 0;
  const ComparisonResult r = c.Compare(
      "wrong answer", [&] { ++timed; }, [&] { ++timed; }, [] { return false; });
  EXPECT_EQ(r.verdict, Verdict::kError);
  EXPECT_TRUE(r.outputs_checked);
  EXPECT_FALSE(r.outputs_equal);
  EXPECT_EQ(timed, 0);
  const ComparisonResult ok = c.Compare(
      "right answer", [&] { time.now += 10; }, [&] { time.now += 10; }, [] { return true; });
  EXPECT_TRUE(ok.outputs_equal);
  EXPECT_NE(ok.verdict, Verdict::kError);
}

TEST(PerfComparatorTest, TimeBudgetEndsAnUndecidableComparison) {
  NiceMock<MockClock> clock;
  FakeTime time(clock);
  ComparatorOptions o;
  o.max_seconds = 0.01;
  PerformanceComparator c(o, clock);
  int run = 0;
  // Alternating ±20% per run: no decision possible; each run costs ~10 µs of simulated time.
  const ComparisonResult r = c.CompareBatches(
      "noise", [&](int64_t k) { time.now += k * (++run % 3 ? 800 : 1200); },
      [&](int64_t k) { time.now += k * (++run % 2 ? 1200 : 800); });
  EXPECT_EQ(r.verdict, Verdict::kInconclusive);
  EXPECT_LT(r.rounds, 256);
  EXPECT_THAT(r.warnings, Contains(HasSubstr("stopped by the time budget")));
}

// ---------------------------------------------------------------------------------------------
// Error rates of the full procedure with known truth. Each simulated run costs
// k · mean · exp(σ·z): log-normal noise, σ = 5%, independent per run.

struct Rates {
  double significant = 0;  // faster or slower
  double faster = 0;
  double equivalent = 0;
};

Rates Simulate(double true_speedup, double sigma, int trials, uint64_t seed) {
  NiceMock<MockClock> clock;
  FakeTime time(clock);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0, 1);
  PerformanceComparator c({}, clock);
  Rates r;
  for (int t = 0; t < trials; ++t) {
    const auto run = [&](double mean) {
      return [&, mean](int64_t k) {
        time.now += static_cast<int64_t>(static_cast<double>(k) * mean * std::exp(sigma * z(rng)));
      };
    };
    const ComparisonResult res = c.CompareBatches("sim", run(1000 * true_speedup), run(1000));
    r.significant += res.verdict == Verdict::kFaster || res.verdict == Verdict::kSlower;
    r.faster += res.verdict == Verdict::kFaster;
    r.equivalent += res.verdict == Verdict::kEquivalent;
  }
  r.significant /= trials;
  r.faster /= trials;
  r.equivalent /= trials;
  return r;
}

TEST(PerfComparatorTest, AAComparisonsAreRarelyCalledDifferent) {
  const Rates r = Simulate(1.0, 0.05, 400, 11);
  EXPECT_LE(r.significant, 0.05);  // planned looks keep the family-wise rate under alpha
  RecordProperty("aa_false_positive_rate", std::to_string(r.significant));
}

TEST(PerfComparatorTest, TenPercentShiftIsDetectedWithHighPower) {
  const Rates r = Simulate(1.10, 0.05, 300, 12);
  EXPECT_GE(r.faster, 0.95);
  RecordProperty("power_10pct", std::to_string(r.faster));
}

TEST(PerfComparatorTest, QuietIdenticalCodeIsShownEquivalent) {
  const Rates r = Simulate(1.0, 0.01, 200, 13);
  EXPECT_GE(r.equivalent, 0.95);
  EXPECT_LE(r.significant, 0.05);
}

}  // namespace
}  // namespace perf
