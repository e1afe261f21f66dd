// Statistics for performance measurement: small pure functions over spans of doubles.
//
// Small samples are handled deliberately: functions that need at least one value throw
// perf::Error on an empty sample; quantities undefined for one value (variance, CV, a t interval)
// return NaN or an unbounded interval rather than a made-up number. Conventions follow SciPy
// (checked against it in tests/unit/perf_statistics_test.cc) unless a comment says otherwise.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "perf_framework/error.h"

namespace perf {

// What a statistic is when it is undefined (the variance of one value) or was not measured.
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---------------------------------------------------------------------------------------------
// Descriptive statistics.

double Mean(std::span<const double> x);      // throws on n = 0
double Median(std::span<const double> x);    // throws on n = 0
double Variance(std::span<const double> x);  // sample variance (n - 1); NaN for n < 2
double StdDev(std::span<const double> x);    // sqrt(Variance); NaN for n < 2
// StdDev / |Mean|; NaN for n < 2 or a zero mean.
double CoefficientOfVariation(std::span<const double> x);
// The p-th percentile, p in [0, 100], by linear interpolation between order statistics
// (Hyndman & Fan type 7, NumPy's default): h = (n - 1)·p/100, x[floor h] + frac(h)·(next - it).
double Percentile(std::span<const double> x, double p);
// Median absolute deviation, unscaled: median(|x - median(x)|). Multiply by kMadToSigma for a
// consistent estimate of the standard deviation of normal data.
double MedianAbsoluteDeviation(std::span<const double> x);
inline constexpr double kMadToSigma = 1.482602218505602;  // 1 / Φ⁻¹(3/4)
// Median absolute percent error, as a fraction: median(|x - m| / |m|), m = median(x)
// (nanobench's "err%"); NaN when m = 0.
double MedianAbsolutePercentError(std::span<const double> x);
// Lag-1 autocorrelation: Σ(x_t - x̄)(x_{t+1} - x̄) / Σ(x_t - x̄)²; NaN for n < 3 or zero variance.
// Values far from 0 (beyond about ±2/√n) mean the samples drift or oscillate: not independent.
double Lag1Autocorrelation(std::span<const double> x);
// One-way random-effects ANOVA (method of moments): the variance between the groups' true means
// beyond what their within-group spread explains, max(0, variance of the group means − mean
// within-group variance / mean group size). On log times with runs (processes) as groups it is
// the drift between runs that repetitions inside one run cannot show. NaN unless there are 2 or
// more groups of 2 or more values each.
double BetweenGroupVariance(const std::vector<std::vector<double>>& groups);

// ---------------------------------------------------------------------------------------------
// Distribution quantiles (Boost.Math).

double NormalQuantile(double p);                     // Φ⁻¹(p)
double StudentTQuantile(double p, double df);        // df > 0
double StudentTSurvival(double t, double df);        // P(T > t)
double BinomialCdf(int64_t k, int64_t n, double p);  // P(X <= k)

// ---------------------------------------------------------------------------------------------
// Intervals.

struct Interval {
  double estimate = 0;
  double low = 0;
  double high = 0;
  double confidence = 0;  // the coverage the method gives (may exceed the request, see below)
  double half_width() const { return (high - low) / 2; }
};

// Mean ± t_{1-α/2, n-1} · s/√n. n = 1 gives (-inf, inf): one sample says nothing about spread.
// Zero variance gives a zero-width interval.
Interval StudentTMeanInterval(std::span<const double> x, double confidence = 0.95);

// Percentile bootstrap of the median (`resamples` resamples, seeded, deterministic).
// n = 1 gives the degenerate [x, x].
Interval BootstrapMedianInterval(std::span<const double> x, double confidence = 0.95,
                                 int resamples = 2000, uint64_t seed = 42);
// Percentile bootstrap of median(numerator) / median(denominator), resampling each independently.
Interval BootstrapMedianRatioInterval(std::span<const double> numerator,
                                      std::span<const double> denominator, double confidence = 0.95,
                                      int resamples = 2000, uint64_t seed = 42);

// Distribution-free interval for the median from order statistics (the sign-test interval):
// [x_(k), x_(n-k+1)] with the largest k such that 2·P(Bin(n, 1/2) <= k-1) <= 1 - confidence.
// The coverage achieved is reported in `confidence` (>= requested). When n is too small to reach
// the requested confidence at all (n < 6 for 95%), the interval is (-inf, inf).
Interval OrderStatisticMedianInterval(std::span<const double> x, double confidence = 0.95);

// Wilson score interval for a binomial proportion (an accuracy: `successes` correct out of `n`).
// Unlike the Wald interval p ± z·√(p(1-p)/n) it never leaves [0, 1] and does not collapse to a
// point at 0 or n successes (SciPy: binomtest(k, n).proportion_ci(method="wilson")).
Interval WilsonInterval(int64_t successes, int64_t n, double confidence = 0.95);

// The counts of n paired trials of two methods (two models on the same test examples).
struct PairedCounts {
  int64_t both = 0, only_first = 0, only_second = 0, neither = 0;  // which succeeded
};
// Newcombe's interval (1998, method 10) for the difference of the two success rates, second minus
// first: the Wilson intervals of each rate, joined by the pairs' correlation. A t-interval on the
// per-pair differences (−1, 0, +1) collapses to [0, 0] when the methods never disagree, as if
// exact; this one keeps the width the rates' own uncertainty gives.
Interval PairedProportionDifference(const PairedCounts& counts, double confidence = 0.95);

// ---------------------------------------------------------------------------------------------
// Tests. p-values are two-sided.

struct TestResult {
  double statistic = 0;
  double p_value = 1;
  double df = 0;       // degrees of freedom where the test has them
  std::string method;  // e.g. "exact", "asymptotic"
};

// Welch's unequal-variance t-test of mean(b) - mean(a) (scipy.stats.ttest_ind, equal_var=False).
// Needs n >= 2 in each sample. Both variances zero: p = 1 if the means are equal, else 0.
TestResult WelchTTest(std::span<const double> a, std::span<const double> b);
// The same on log values: compares geometric means, i.e. a ratio of times. Values must be > 0.
TestResult WelchTTestOnLogs(std::span<const double> a, std::span<const double> b);

// Mann–Whitney U test, as scipy.stats.mannwhitneyu(a, b, method="auto"): statistic is U of `a`;
// exact null distribution when either sample has <= 8 values and there are no ties, otherwise the
// normal approximation with tie correction and continuity correction. All values tied: p = 1.
TestResult MannWhitneyU(std::span<const double> a, std::span<const double> b);

// Two-sided sign test of median(x) = center (values equal to center are dropped), as
// scipy.stats.binomtest(k, n, 0.5). statistic = count above center.
TestResult SignTest(std::span<const double> x, double center);

// Two one-sided Welch t-tests (TOST) on log values: is the ratio of geometric means b/a inside
// [1/(1 + margin), 1 + margin]? p = the larger of the two one-sided p-values; equivalence is shown
// when p < alpha. statistic = the estimated log ratio.
TestResult EquivalenceTestLogRatio(std::span<const double> a, std::span<const double> b,
                                   double margin);

// Holm's step-down adjustment of p-values for multiple comparisons (family-wise error control).
// Adjusted values are monotone in the raw order and capped at 1; same order as the input.
std::vector<double> HolmAdjust(std::span<const double> p_values);

// ---------------------------------------------------------------------------------------------
// Effect sizes.

// Hodges–Lehmann estimate of the shift b - a: the median of all pairwise differences b_j - a_i,
// with the Moses distribution-free interval (order statistics of the differences at ranks from
// the normal approximation to the Mann–Whitney null distribution). The order statistics are
// selected without forming the m·n differences: O((m + n) log(m + n)) time for the sorts plus at
// most 64 O(m + n) counting passes per order statistic, O(m + n) memory, so 100,000 values per
// side take a fraction of a second. Throws on an empty sample or a value that is not finite.
Interval HodgesLehmannShift(std::span<const double> a, std::span<const double> b,
                            double confidence = 0.95);
// The same by sorting all m·n differences (O(m·n) memory): the reference HodgesLehmannShift is
// tested against. Both return the same doubles, except that a zero the fast version returns is
// always +0 where sorting may put a -0 (only possible when an input holds -0).
Interval HodgesLehmannShiftNaive(std::span<const double> a, std::span<const double> b,
                                 double confidence = 0.95);
// (mean(b) - mean(a)) / pooled standard deviation. NaN when the pooled deviation is 0.
double CohensD(std::span<const double> a, std::span<const double> b);
// P(b > a) - P(b < a) over all pairs, in [-1, 1]; distribution-free.
double CliffsDelta(std::span<const double> a, std::span<const double> b);

// ---------------------------------------------------------------------------------------------
// Power and sample size for the two-sample, two-sided t-test (noncentral t, exact for normal data).

// Power to detect a standardized effect `d` with `n` samples per group at level alpha.
double TwoSampleTPower(double d, int64_t n, double alpha = 0.05);
// Smallest n per group reaching `power`; throws if d <= 0.
int64_t SamplesForPower(double d, double alpha = 0.05, double power = 0.8);
// Smallest standardized effect detectable with `n` per group at `power`.
double MinimumDetectableEffect(int64_t n, double alpha = 0.05, double power = 0.8);
// The standardized effect of a relative change in time (e.g. 0.05 = 5% slower) for log-normal
// times with coefficient of variation `cv`: log(1 + change) / sqrt(log(1 + cv²)).
double RelativeChangeToEffect(double relative_change, double cv);
double EffectToRelativeChange(double d, double cv);
// Samples per side at which an interval of half-width `half_width`, measured with `n` per side,
// narrows to `needed`, its width falling as 1/√n: n · (half_width / needed)². The estimate of
// what would settle an inconclusive verdict, in the comparator's rounds and in regression
// detection's repetitions or runs; each caller rounds and bounds it as its reason says.
double SamplesToNarrow(double n, double half_width, double needed);

// ---------------------------------------------------------------------------------------------
// Outliers: classified and reported, never dropped.

struct TukeyOutliers {
  // Tukey's fences: mild beyond 1.5·IQR from the quartiles, severe beyond 3·IQR.
  std::vector<size_t> low_severe, low_mild, high_mild, high_severe;  // indices into the sample
  double q1 = 0, q3 = 0;
  size_t count() const {
    return low_severe.size() + low_mild.size() + high_mild.size() + high_severe.size();
  }
};
TukeyOutliers ClassifyTukey(std::span<const double> x);  // throws on n = 0
// Indices whose modified z-score 0.6745·|x - median| / MAD exceeds `threshold` (Iglewicz and
// Hoaglin recommend 3.5). MAD = 0 flags every value that differs from the median.
std::vector<size_t> MadOutliers(std::span<const double> x, double threshold = 3.5);

// ---------------------------------------------------------------------------------------------
// Complexity: fit value = c · size^k by least squares on log-log axes.

struct PowerLawFit {
  double exponent = 0;
  double exponent_low = 0, exponent_high = 0;  // t interval on the slope, n - 2 df
  double coefficient = 0;                      // c
  double r_squared = 0;
  size_t n = 0;
};
// Needs >= 3 points with positive sizes and values, and at least two distinct sizes.
PowerLawFit FitPowerLaw(std::span<const double> sizes, std::span<const double> values,
                        double confidence = 0.95);

}  // namespace perf
