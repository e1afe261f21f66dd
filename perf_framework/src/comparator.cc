// PerformanceComparator: paired ABBA rounds, order-statistic interval, sign test, planned looks.
#include "perf_framework/comparator.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <sstream>

#include "perf_framework/environment.h"
#include "perf_framework/format.h"

namespace perf {

namespace {

using format::Fixed;

std::string SpeedupText(const Interval& s) {
  return Fixed(s.estimate, 4) + "× [" + Fixed(s.low, 4) + ", " + Fixed(s.high, 4) + "]";
}

TimerOptions TimerFor(const ComparatorOptions& o) {
  TimerOptions t;
  t.min_sample_seconds = o.min_sample_seconds;
  return t;
}

}  // namespace

ComparisonResult DecideFromSpeedups(std::vector<double> speedups, double look_confidence,
                                    double margin) {
  ComparisonResult r;
  r.speedups = std::move(speedups);
  r.rounds = static_cast<int>(r.speedups.size());
  r.speedup = OrderStatisticMedianInterval(r.speedups, look_confidence);
  r.p_value = SignTest(r.speedups, 1.0).p_value;
  std::vector<double> logs;
  for (double s : r.speedups) logs.push_back(std::log(s));
  const double robust_sd = kMadToSigma * MedianAbsoluteDeviation(logs);
  const double center = Median(logs);
  r.effect_size =
      robust_sd > 0 ? center / robust_sd : (center == 0 ? 0 : std::copysign(INFINITY, center));
  const auto n = static_cast<double>(r.speedups.size());
  // The decision is a sign test on the median, which needs π/2 times the rounds of a t-test on
  // normal data (its efficiency, 2/π): a standard error √(π/2) · σ/√n.
  const double z = NormalQuantile(1 - (1 - look_confidence) / 2) + NormalQuantile(0.8);
  r.minimum_detectable_change =
      std::expm1(z * std::sqrt(std::numbers::pi / 2) * robust_sd / std::sqrt(n));
  r.speedup_lag1 = Lag1Autocorrelation(logs);

  const double lo = r.speedup.low, hi = r.speedup.high;
  const double alpha = 1 - look_confidence;
  const bool inside_margin = lo >= 1 / (1 + margin) && hi <= 1 + margin;
  if (inside_margin) {
    r.verdict = Verdict::kEquivalent;
    r.reason = "speedup " + SpeedupText(r.speedup) + " lies within ±" + Fixed(100 * margin, 1) +
               "% [" + Fixed(1 / (1 + margin), 4) + ", " + Fixed(1 + margin, 4) +
               "]: no practical difference";
  } else if (lo > 1 && r.p_value < alpha) {
    r.verdict = Verdict::kFaster;
    r.reason = "candidate faster: speedup " + SpeedupText(r.speedup) +
               ", sign-test p = " + Fixed(r.p_value, 6);
  } else if (hi < 1 && r.p_value < alpha) {
    r.verdict = Verdict::kSlower;
    r.reason = "candidate slower: speedup " + SpeedupText(r.speedup) +
               ", sign-test p = " + Fixed(r.p_value, 6);
  } else {
    r.verdict = Verdict::kInconclusive;
    // Interval half-width shrinks like 1/√n; a decision needs it below the distance to 1 (for a
    // difference) or to the margin (for equivalence), whichever is nearer.
    const double half =
        std::isinf(lo) || std::isinf(hi) ? INFINITY : (std::log(hi) - std::log(lo)) / 2;
    const double gap = std::fabs(std::log(r.speedup.estimate));
    const double needed = std::max(gap, std::log1p(margin) - gap);
    const double rounds =
        std::isinf(half) ? 4 * n : std::max(n, SamplesToNarrow(n, half, std::max(needed, 1e-9)));
    r.rounds_to_settle = static_cast<int>(std::min(1e9, std::ceil(rounds)));
    r.reason = "inconclusive: speedup " + SpeedupText(r.speedup) +
               " neither excludes 1 nor lies "
               "within ±" +
               Fixed(100 * margin, 1) + "%; about " + std::to_string(r.rounds_to_settle) +
               " rounds would settle it";
  }
  return r;
}

PerformanceComparator::PerformanceComparator(ComparatorOptions options, Clock& clock)
    : options_(options), clock_(clock), timer_(TimerFor(options), clock) {
  PERF_CHECK(options_.min_rounds >= 6 && options_.max_rounds >= options_.min_rounds,
             "PerformanceComparator: need 6 <= min_rounds (", options_.min_rounds,
             ") <= max_rounds (", options_.max_rounds, ")");
  PERF_CHECK(options_.alpha > 0 && options_.alpha < 0.5, "PerformanceComparator: alpha ",
             options_.alpha, " must be in (0, 0.5)");
  PERF_CHECK(options_.equivalence_margin > 0, "PerformanceComparator: margin must be positive");
}

std::vector<int> PerformanceComparator::LookSchedule() const {
  std::vector<int> looks;
  for (int n = options_.min_rounds; n < options_.max_rounds; n *= 2) looks.push_back(n);
  looks.push_back(options_.max_rounds);
  return looks;
}

ComparisonResult PerformanceComparator::CompareBatches(
    const std::string& name, const std::function<void(int64_t)>& baseline,
    const std::function<void(int64_t)>& candidate, const std::function<bool()>& outputs_equal) {
  ComparisonResult result;
  const int64_t start = clock_.NowNs();
  const auto elapsed = [&] { return static_cast<double>(clock_.NowNs() - start) / 1e9; };
  const auto fail = [&](const std::string& message) {
    result.name = name;
    result.verdict = Verdict::kError;
    result.error = message;
    result.reason = "could not be measured: " + message;
    result.elapsed_seconds = elapsed();
    return result;
  };
  try {
    if (outputs_equal) {
      result.outputs_checked = true;
      result.outputs_equal = outputs_equal();
      if (!result.outputs_equal) return fail("baseline and candidate produce different outputs");
    }
    // One iteration count for both, long enough for the faster to be far above clock resolution.
    const int64_t iterations = std::max(timer_.Calibrate(baseline), timer_.Calibrate(candidate));
    timer_.TimeBatch(baseline, iterations);  // warm-up round
    timer_.TimeBatch(candidate, iterations);

    const std::vector<int> looks = LookSchedule();
    const double look_confidence = 1 - options_.alpha / static_cast<double>(looks.size());
    std::vector<double> speedups, baseline_ns, candidate_ns;
    std::mt19937_64 rng(options_.seed);
    int look = 0;
    while (true) {
      // Each round gets its own iteration count (±20%, the same for both sides) so that periodic
      // machine noise cannot stay in phase with the rounds.
      const auto k = static_cast<int64_t>(
          std::ceil(static_cast<double>(iterations) *
                    (0.8 + 0.4 * static_cast<double>(rng() >> 11) * 0x1.0p-53)));
      const bool abba = speedups.size() % 2 == 0;
      const auto& first = abba ? baseline : candidate;
      const auto& second = abba ? candidate : baseline;
      const double t1 = timer_.TimeBatch(first, k);
      const double t2 = timer_.TimeBatch(second, k);
      const double t3 = timer_.TimeBatch(second, k);
      const double t4 = timer_.TimeBatch(first, k);
      const double a = abba ? t1 + t4 : t2 + t3;
      const double b = abba ? t2 + t3 : t1 + t4;
      PERF_CHECK(a > 0 && b > 0, "a run took no measurable time");
      speedups.push_back(a / b);
      baseline_ns.push_back(a / (2.0 * static_cast<double>(k)));
      candidate_ns.push_back(b / (2.0 * static_cast<double>(k)));
      if (static_cast<int>(speedups.size()) < looks[look]) {
        // Past twice the budget, stop at once rather than wait for the next look.
        if (elapsed() < 2 * options_.max_seconds) continue;
      }
      ComparisonResult r =
          DecideFromSpeedups(speedups, look_confidence, options_.equivalence_margin);
      const bool last = look + 1 == static_cast<int>(looks.size());
      const bool out_of_time = elapsed() >= options_.max_seconds;
      if (r.verdict != Verdict::kInconclusive || last || out_of_time) {
        result = std::move(r);
        result.looks = look + 1;
        if (result.verdict == Verdict::kInconclusive && out_of_time && !last) {
          result.warnings.push_back("stopped by the time budget (" +
                                    Fixed(options_.max_seconds, 1) +
                                    " s) before the last planned look");
        }
        break;
      }
      ++look;
    }
    result.name = name;
    result.iterations_per_run = iterations;
    result.outputs_checked = static_cast<bool>(outputs_equal);
    result.outputs_equal = result.outputs_checked;
    result.baseline_median_ns = Median(baseline_ns);
    result.candidate_median_ns = Median(candidate_ns);
    result.baseline_drift_lag1 = Lag1Autocorrelation(baseline_ns);
    const double n = static_cast<double>(result.rounds);
    if (n >= 10 && std::fabs(result.baseline_drift_lag1) > 2 / std::sqrt(n)) {
      result.warnings.push_back(
          "the machine drifted during the comparison (lag-1 autocorrelation " +
          Fixed(result.baseline_drift_lag1, 2) +
          " of baseline times); ABBA pairing cancels drift within a round");
    }
    if (n >= 10 && std::fabs(result.speedup_lag1) > 2 / std::sqrt(n)) {
      result.warnings.push_back("round speedups are autocorrelated (" +
                                Fixed(result.speedup_lag1, 2) +
                                "): rounds are not independent; treat the interval as optimistic");
    }
    for (std::string& w : MachineWarnings()) result.warnings.push_back(std::move(w));
    result.elapsed_seconds = elapsed();
    return result;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

nlohmann::json ComparisonResult::ToJson() const {
  return {{"name", name},
          {"verdict", VerdictName(verdict)},
          {"reason", reason},
          {"speedup",
           {{"estimate", speedup.estimate},
            {"low", speedup.low},
            {"high", speedup.high},
            {"confidence", speedup.confidence}}},
          {"p_value", p_value},
          {"effect_size", effect_size},
          {"minimum_detectable_change", minimum_detectable_change},
          {"rounds", rounds},
          {"looks", looks},
          {"iterations_per_run", iterations_per_run},
          {"rounds_to_settle", rounds_to_settle},
          {"speedup_lag1", speedup_lag1},
          {"baseline_drift_lag1", baseline_drift_lag1},
          {"baseline_median_ns", baseline_median_ns},
          {"candidate_median_ns", candidate_median_ns},
          {"speedups", speedups},
          {"outputs_checked", outputs_checked},
          {"outputs_equal", outputs_equal},
          {"warnings", warnings},
          {"elapsed_seconds", elapsed_seconds},
          {"error", error}};
}

}  // namespace perf
