// ScientificTimer's logic, checked exactly against a fake clock (GoogleMock): the workload
// advances simulated time, so calibration, stopping rules, outlier reporting and warnings have
// known right answers independent of the machine.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>

#include "perf_framework/timer.h"

namespace perf {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::NiceMock;
using ::testing::ThrowsMessage;

class MockClock : public Clock {
 public:
  MOCK_METHOD(int64_t, NowNs, (), (override));
};

// Simulated time: each clock read costs `read_cost_ns`; workloads add their own cost.
struct FakeTime {
  explicit FakeTime(NiceMock<MockClock>& clock, int64_t read_cost_ns = 1) {
    ON_CALL(clock, NowNs()).WillByDefault([this, read_cost_ns] { return now += read_cost_ns; });
  }
  int64_t now = 0;
};

TimerOptions Exact() {
  TimerOptions o;
  o.jitter = false;
  o.warmup_seconds = 0;
  o.min_sample_seconds = 100e-6;
  return o;
}

TEST(PerfTimerTest, MeasureClockReportsResolutionAndOverhead) {
  NiceMock<MockClock> clock;
  FakeTime time(clock, 25);
  const ClockProperties p = MeasureClock(clock);
  EXPECT_EQ(p.resolution_ns, 25);
  EXPECT_DOUBLE_EQ(p.overhead_ns, 25);

  // A coarse clock: reads cost 7 ns but the value only moves in 1 µs ticks.
  NiceMock<MockClock> coarse;
  int64_t t = 0;
  ON_CALL(coarse, NowNs()).WillByDefault([&] { return (t += 7) / 1000 * 1000; });
  const ClockProperties c = MeasureClock(coarse);
  EXPECT_EQ(c.resolution_ns, 1000);
  EXPECT_NEAR(c.overhead_ns, 7, 0.2);
}

TEST(PerfTimerTest, ClockThatNeverAdvancesIsAnError) {
  NiceMock<MockClock> clock;
  ON_CALL(clock, NowNs()).WillByDefault([] { return int64_t{42}; });
  EXPECT_THAT([&] { ScientificTimer timer(Exact(), clock); },
              ThrowsMessage<Error>(HasSubstr("the clock never advanced")));
}

TEST(PerfTimerTest, AutomaticSampleLengthIsFarAboveClockResolution) {
  NiceMock<MockClock> clock;
  FakeTime time(clock, 30);
  TimerOptions o = Exact();
  o.min_sample_seconds = 0;
  const ScientificTimer timer(o, clock);
  EXPECT_EQ(timer.min_sample_ns(), 30000);  // 1000 × 30 ns > the 10 µs floor
}

TEST(PerfTimerTest, CalibratesIterationsAboveTheMinimumSampleTime) {
  NiceMock<MockClock> clock;
  FakeTime time(clock);
  ScientificTimer timer(Exact(), clock);
  // 1000 ns per call; target 100 µs: 1 → 10 → 100 iterations (growth capped at 10× a step).
  const Measurement m = timer.Measure("work", [&] { time.now += 1000; });
  EXPECT_EQ(m.iterations_per_sample, 100);
  EXPECT_TRUE(m.converged);
  EXPECT_EQ(m.stop_reason, "converged");
  EXPECT_EQ(m.samples_ns.size(), 10u);   // identical samples: done at min_samples
  EXPECT_NEAR(m.median_ns, 1000, 0.02);  // + one 1 ns clock read per 100 iterations
  EXPECT_EQ(m.median_ci.low, m.median_ci.high);
  EXPECT_EQ(m.total_iterations, 1000);
}

TEST(PerfTimerTest, NoisyWorkloadStopsAtTheSampleBudgetAndSaysSo) {
  NiceMock<MockClock> clock;
  FakeTime time(clock);
  TimerOptions o = Exact();
  o.max_samples = 40;
  o.target_relative_half_width = 0.001;
  ScientificTimer timer(o, clock);
  int batch = 0;
  // ±30% alternating batches: the median's interval never gets within ±0.1%.
  const Measurement m =
      timer.MeasureBatches("noisy", [&](int64_t k) { time.now += k * (++batch % 2 ? 700 : 1300); });
  EXPECT_FALSE(m.converged);
  EXPECT_EQ(m.stop_reason, "sample budget");
  EXPECT_EQ(m.samples_ns.size(), 40u);
  EXPECT_THAT(m.warnings, Contains(HasSubstr("did not reach ±0.1% after 40 samples")));
  EXPECT_THAT(m.warnings, Contains(HasSubstr("high variability (CV")));
}

TEST(PerfTimerTest, SlowWorkloadStopsAtTheTimeBudget) {
  NiceMock<MockClock> clock;
  FakeTime time(clock);
  TimerOptions o = Exact();
  o.max_seconds = 2;
  ScientificTimer timer(o, clock);
  // 0.5 s per call: calibration 0.5 s, warm-up 0.5 s, then two samples reach the 2 s budget.
  const Measurement m = timer.Measure("slow", [&] { time.now += 500'000'000; });
  EXPECT_EQ(m.iterations_per_sample, 1);
  EXPECT_EQ(m.stop_reason, "time budget");
  EXPECT_EQ(m.samples_ns.size(), 2u);
  EXPECT_THAT(m.warnings, Contains(HasSubstr("only 2 samples")));
  EXPECT_NEAR(m.elapsed_seconds, 2.0, 1e-6);
}

TEST(PerfTimerTest, OutliersAreReportedAndKept) {
  NiceMock<MockClock> clock;
  FakeTime time(clock);
  TimerOptions o = Exact();
  o.min_samples = 30;
  ScientificTimer timer(o, clock);
  int batch = 0;
  // Batch 20 is interrupted: ten times slower. Calibration takes 3 batches, warm-up 1.
  const Measurement m = timer.MeasureBatches(
      "interrupted", [&](int64_t k) { time.now += k * (++batch == 20 ? 10000 : 1000); });
  ASSERT_EQ(m.samples_ns.size(), 30u);
  EXPECT_THAT(m.outliers.high_severe, testing::ElementsAre(15));  // sample index 20 - 4 - 1
  EXPECT_NEAR(m.samples_ns[15], 10000, 1);
  EXPECT_NEAR(m.median_ns, 1000, 0.1);
  EXPECT_GT(m.mean_ns, 1250);  // the mean sees the interruption; the median does not
  EXPECT_THAT(m.warnings, Contains(HasSubstr("1 severe outliers (Tukey fences), kept")));
}

TEST(PerfTimerTest, DriftingSamplesAreFlagged) {
  NiceMock<MockClock> clock;
  FakeTime time(clock);
  TimerOptions o = Exact();
  o.max_samples = 30;
  o.target_relative_half_width = 1e-6;
  ScientificTimer timer(o, clock);
  int batch = 0;
  const Measurement m = timer.MeasureBatches("drift", [&](int64_t k) {
    time.now += k * (1000 + 5 * ++batch);  // slower every sample: thermal throttling
  });
  EXPECT_GT(m.lag1_autocorrelation, 0.5);
  EXPECT_THAT(m.warnings, Contains(HasSubstr("samples drift (lag-1 autocorrelation")));
}

TEST(PerfTimerTest, JitterVariesIterationCountsButNotTheEstimate) {
  NiceMock<MockClock> clock;
  FakeTime time(clock);
  TimerOptions o = Exact();
  o.jitter = true;
  o.min_samples = 20;
  ScientificTimer timer(o, clock);
  std::vector<int64_t> counts;
  const Measurement m = timer.MeasureBatches("jitter", [&](int64_t k) {
    counts.push_back(k);
    time.now += k * 1000;
  });
  std::sort(counts.begin() + 4, counts.end());
  EXPECT_GT(std::unique(counts.begin() + 4, counts.end()) - (counts.begin() + 4), 5);
  EXPECT_NEAR(m.median_ns, 1000, 0.1);
  for (int64_t k : std::vector<int64_t>(counts.begin() + 4, counts.end())) {
    EXPECT_GE(k, 80);
    EXPECT_LE(k, 120);
  }
}

TEST(PerfTimerTest, PinsToAnExistingCpuAndWarnsWhenPinningFails) {
  NiceMock<MockClock> clock;
  FakeTime time(clock);
  TimerOptions o = Exact();
  o.pin_cpu = 0;
  const Measurement pinned = ScientificTimer(o, clock).Measure("pinned", [&] { time.now += 1000; });
  EXPECT_THAT(pinned.warnings, ::testing::Not(Contains(HasSubstr("could not pin"))));
  o.pin_cpu = CPU_SETSIZE - 1;  // no machine here has that many CPUs
  const Measurement unpinned =
      ScientificTimer(o, clock).Measure("no cpu", [&] { time.now += 1000; });
  EXPECT_THAT(unpinned.warnings, Contains(HasSubstr("could not pin to CPU")));
  EXPECT_TRUE(unpinned.converged);  // the measurement itself still happens
}

TEST(PerfTimerTest, RejectsInconsistentOptions) {
  NiceMock<MockClock> clock;
  FakeTime time(clock);
  TimerOptions o = Exact();
  o.min_samples = 50;
  o.max_samples = 10;
  EXPECT_THAT([&] { ScientificTimer timer(o, clock); },
              ThrowsMessage<Error>(HasSubstr("need 2 <= min_samples (50) <= max_samples (10)")));
  o = Exact();
  o.confidence = 1.5;
  EXPECT_THROW(ScientificTimer(o, clock), Error);
}

TEST(PerfTimerTest, MeasurementSerialisesEverySample) {
  NiceMock<MockClock> clock;
  FakeTime time(clock);
  ScientificTimer timer(Exact(), clock);
  const Measurement m = timer.Measure("json", [&] { time.now += 1000; });
  const nlohmann::json j = m.ToJson();
  EXPECT_EQ(j["name"], "json");
  EXPECT_EQ(j["samples_ns"].size(), m.samples_ns.size());
  EXPECT_EQ(j["stop_reason"], "converged");
  EXPECT_EQ(j["median_ci"]["confidence"].get<double>(), m.median_ci.confidence);
}

}  // namespace
}  // namespace perf
