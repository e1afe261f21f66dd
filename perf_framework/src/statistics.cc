// Statistics for performance measurement (see statistics.h for conventions).
#include "perf_framework/statistics.h"

#include <algorithm>
#include <bit>
#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/non_central_t.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "statistics_internal.h"

namespace perf {

namespace {

using internal::CheckConfidence;
using internal::Interpolate;
using internal::kInf;
using internal::PercentileOfSorted;
using internal::PositionOfPercentile;
using internal::Sorted;

void CheckNotEmpty(std::span<const double> x, const char* fn) {
  PERF_CHECK(!x.empty(), fn, ": empty sample");
}

std::vector<double> Logs(std::span<const double> x, const char* fn) {
  std::vector<double> out;
  out.reserve(x.size());
  for (double v : x) {
    PERF_CHECK(v > 0 && std::isfinite(v), fn, ": values must be positive and finite, got ", v);
    out.push_back(std::log(v));
  }
  return out;
}

// Uniform index in [0, n). The modulo bias is below n / 2^64, far under any resampling noise, and
// unlike std::uniform_int_distribution the result is the same with every standard library.
size_t RandomIndex(std::mt19937_64& rng, size_t n) { return static_cast<size_t>(rng() % n); }

double ResampledMedian(std::span<const double> x, std::mt19937_64& rng, std::vector<double>& buf) {
  buf.resize(x.size());
  for (double& v : buf) v = x[RandomIndex(rng, x.size())];
  const size_t mid = buf.size() / 2;
  std::nth_element(buf.begin(), buf.begin() + mid, buf.end());
  if (buf.size() % 2 == 1) return buf[mid];
  const double upper = buf[mid];
  return (*std::max_element(buf.begin(), buf.begin() + mid) + upper) / 2;
}

Interval PercentileInterval(std::vector<double>& stats, double estimate, double confidence) {
  std::sort(stats.begin(), stats.end());
  const double alpha = 1 - confidence;
  return {estimate, PercentileOfSorted(stats, 100 * alpha / 2),
          PercentileOfSorted(stats, 100 * (1 - alpha / 2)), confidence};
}

struct WelchParts {
  double diff, se, df;
};

WelchParts Welch(std::span<const double> a, std::span<const double> b, const char* fn) {
  PERF_CHECK(a.size() >= 2 && b.size() >= 2, fn, ": needs at least 2 values per sample, got ",
             a.size(), " and ", b.size());
  const double va = Variance(a) / static_cast<double>(a.size());
  const double vb = Variance(b) / static_cast<double>(b.size());
  const double se = std::sqrt(va + vb);
  const double df =
      (va + vb) * (va + vb) /
      (va * va / static_cast<double>(a.size() - 1) + vb * vb / static_cast<double>(b.size() - 1));
  return {Mean(b) - Mean(a), se, df};
}

// Average ranks (1-based) of the pooled sample, and Σ(t³ - t) over tie groups.
std::vector<double> Ranks(const std::vector<double>& pooled, double* tie_term) {
  std::vector<size_t> order(pooled.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t i, size_t j) { return pooled[i] < pooled[j]; });
  std::vector<double> ranks(pooled.size());
  *tie_term = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && pooled[order[j + 1]] == pooled[order[i]]) ++j;
    const double avg = (static_cast<double>(i + j) + 2) / 2;
    for (size_t k = i; k <= j; ++k) ranks[order[k]] = avg;
    const auto t = static_cast<double>(j - i + 1);
    *tie_term += t * t * t - t;
    i = j + 1;
  }
  return ranks;
}

// Number of arrangements giving each U = 0..m·n under the null: the coefficients of the Gaussian
// binomial [m+n choose m]_q = Π_{i=1..m} (1 - q^(n+i)) / (1 - q^i). Long double keeps the
// alternating intermediate sums exact well past 2^53.
std::vector<long double> MannWhitneyCounts(int64_t m, int64_t n) {
  if (m > n) std::swap(m, n);
  std::vector<long double> c(static_cast<size_t>(m * n + m + 1), 0.0L);
  c[0] = 1;
  for (int64_t i = 1; i <= m; ++i) {
    for (int64_t u = static_cast<int64_t>(c.size()) - 1; u >= n + i; --u) c[u] -= c[u - n - i];
    for (int64_t u = i; u < static_cast<int64_t>(c.size()); ++u) c[u] += c[u - i];
  }
  c.resize(static_cast<size_t>(m * n + 1));
  return c;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Descriptive statistics.

double Mean(std::span<const double> x) {
  CheckNotEmpty(x, "Mean");
  return std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
}

double Median(std::span<const double> x) {
  CheckNotEmpty(x, "Median");
  return PercentileOfSorted(Sorted(x), 50);
}

double Variance(std::span<const double> x) {
  if (x.size() < 2) return kNaN;
  const double m = Mean(x);
  double ss = 0;
  for (double v : x) ss += (v - m) * (v - m);
  return ss / static_cast<double>(x.size() - 1);
}

double StdDev(std::span<const double> x) { return std::sqrt(Variance(x)); }

double CoefficientOfVariation(std::span<const double> x) {
  if (x.size() < 2) return kNaN;
  const double m = Mean(x);
  return m == 0 ? kNaN : StdDev(x) / std::fabs(m);
}

double Percentile(std::span<const double> x, double p) {
  CheckNotEmpty(x, "Percentile");
  PERF_CHECK(p >= 0 && p <= 100, "Percentile: p = ", p, " must be in [0, 100]");
  return PercentileOfSorted(Sorted(x), p);
}

double MedianAbsoluteDeviation(std::span<const double> x) {
  const double m = Median(x);
  std::vector<double> dev;
  dev.reserve(x.size());
  for (double v : x) dev.push_back(std::fabs(v - m));
  return Median(dev);
}

double MedianAbsolutePercentError(std::span<const double> x) {
  const double m = Median(x);
  if (m == 0) return kNaN;
  std::vector<double> err;
  err.reserve(x.size());
  for (double v : x) err.push_back(std::fabs(v - m) / std::fabs(m));
  return Median(err);
}

double BetweenGroupVariance(const std::vector<std::vector<double>>& groups) {
  if (groups.size() < 2) return kNaN;
  std::vector<double> means;
  double within = 0, size = 0;  // averages over the groups
  for (const std::vector<double>& g : groups) {
    if (g.size() < 2) return kNaN;
    means.push_back(Mean(g));
    within += Variance(g) / static_cast<double>(groups.size());
    size += static_cast<double>(g.size()) / static_cast<double>(groups.size());
  }
  return std::max(0.0, Variance(means) - within / size);
}

double Lag1Autocorrelation(std::span<const double> x) {
  if (x.size() < 3) return kNaN;
  const double m = Mean(x);
  double num = 0, den = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    den += (x[i] - m) * (x[i] - m);
    if (i + 1 < x.size()) num += (x[i] - m) * (x[i + 1] - m);
  }
  return den == 0 ? kNaN : num / den;
}

// ---------------------------------------------------------------------------------------------
// Distributions.

double NormalQuantile(double p) {
  PERF_CHECK(p > 0 && p < 1, "NormalQuantile: p = ", p, " must be in (0, 1)");
  return boost::math::quantile(boost::math::normal_distribution<double>(), p);
}

double StudentTQuantile(double p, double df) {
  PERF_CHECK(p > 0 && p < 1 && df > 0, "StudentTQuantile: p = ", p, ", df = ", df);
  return boost::math::quantile(boost::math::students_t_distribution<double>(df), p);
}

double StudentTSurvival(double t, double df) {
  PERF_CHECK(df > 0, "StudentTSurvival: df = ", df, " must be positive");
  if (std::isinf(t)) return t > 0 ? 0.0 : 1.0;
  return boost::math::cdf(
      boost::math::complement(boost::math::students_t_distribution<double>(df), t));
}

double BinomialCdf(int64_t k, int64_t n, double p) {
  if (k < 0) return 0;
  if (k >= n) return 1;
  return boost::math::cdf(boost::math::binomial_distribution<double>(static_cast<double>(n), p),
                          static_cast<double>(k));
}

// ---------------------------------------------------------------------------------------------
// Intervals.

Interval StudentTMeanInterval(std::span<const double> x, double confidence) {
  CheckConfidence(confidence, "StudentTMeanInterval");
  const double m = Mean(x);
  if (x.size() < 2) return {m, -kInf, kInf, confidence};
  const double half =
      StudentTQuantile(1 - (1 - confidence) / 2, static_cast<double>(x.size() - 1)) * StdDev(x) /
      std::sqrt(static_cast<double>(x.size()));
  return {m, m - half, m + half, confidence};
}

Interval BootstrapMedianInterval(std::span<const double> x, double confidence, int resamples,
                                 uint64_t seed) {
  CheckConfidence(confidence, "BootstrapMedianInterval");
  PERF_CHECK(resamples >= 100, "BootstrapMedianInterval: resamples = ", resamples,
             " (need >= 100)");
  const double m = Median(x);
  std::mt19937_64 rng(seed);
  std::vector<double> stats(static_cast<size_t>(resamples)), buf;
  for (double& s : stats) s = ResampledMedian(x, rng, buf);
  return PercentileInterval(stats, m, confidence);
}

Interval BootstrapMedianRatioInterval(std::span<const double> numerator,
                                      std::span<const double> denominator, double confidence,
                                      int resamples, uint64_t seed) {
  CheckConfidence(confidence, "BootstrapMedianRatioInterval");
  PERF_CHECK(resamples >= 100, "BootstrapMedianRatioInterval: resamples = ", resamples,
             " (need >= 100)");
  const double den = Median(denominator);
  PERF_CHECK(den != 0, "BootstrapMedianRatioInterval: denominator median is 0");
  std::mt19937_64 rng(seed);
  std::vector<double> stats(static_cast<size_t>(resamples)), buf;
  for (double& s : stats) {
    const double n = ResampledMedian(numerator, rng, buf);
    s = n / ResampledMedian(denominator, rng, buf);
  }
  return PercentileInterval(stats, Median(numerator) / den, confidence);
}

Interval OrderStatisticMedianInterval(std::span<const double> x, double confidence) {
  CheckConfidence(confidence, "OrderStatisticMedianInterval");
  const std::vector<double> s = Sorted(x);
  const double m = Median(x);
  const auto n = static_cast<int64_t>(s.size());
  // Largest k with miss probability 2·P(Bin(n, ½) <= k - 1) within 1 - confidence.
  int64_t k = 0;
  while (k + 1 <= (n + 1) / 2 && 2 * BinomialCdf(k, n, 0.5) <= 1 - confidence) ++k;
  if (k == 0) return {m, -kInf, kInf, 1.0};
  return {m, s[k - 1], s[n - k], 1 - 2 * BinomialCdf(k - 1, n, 0.5)};
}

Interval WilsonInterval(int64_t successes, int64_t n, double confidence) {
  CheckConfidence(confidence, "WilsonInterval");
  PERF_CHECK(n > 0 && successes >= 0 && successes <= n, "WilsonInterval: needs 0 <= successes <= n",
             " and n > 0, got successes = ", successes, ", n = ", n);
  const double z = NormalQuantile(0.5 + confidence / 2), z2 = z * z, nn = static_cast<double>(n);
  const double p = static_cast<double>(successes) / nn;
  const double center = (p + z2 / (2 * nn)) / (1 + z2 / nn);
  const double half = z / (1 + z2 / nn) * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
  // At 0 or n successes one bound is exactly 0 or 1; computing it would leave rounding dust.
  const double low = successes == 0 ? 0.0 : std::max(0.0, center - half);
  const double high = successes == n ? 1.0 : std::min(1.0, center + half);
  return {p, low, high, confidence};
}

Interval PairedProportionDifference(const PairedCounts& k, double confidence) {
  PERF_CHECK(k.both >= 0 && k.only_first >= 0 && k.only_second >= 0 && k.neither >= 0,
             "PairedProportionDifference: counts must not be negative");
  const int64_t n = k.both + k.only_first + k.only_second + k.neither;
  PERF_CHECK(n > 0, "PairedProportionDifference: no pairs");
  const Interval first = WilsonInterval(k.both + k.only_first, n, confidence);
  const Interval second = WilsonInterval(k.both + k.only_second, n, confidence);
  // The phi coefficient of the 2x2 table; 0 when a margin is empty.
  const auto d = [](int64_t v) { return static_cast<double>(v); };
  const double margins = d(k.both + k.only_first) * d(k.only_second + k.neither) *
                         d(k.both + k.only_second) * d(k.only_first + k.neither);
  const double phi = margins > 0 ? (d(k.both) * d(k.neither) - d(k.only_first) * d(k.only_second)) /
                                       std::sqrt(margins)
                                 : 0.0;
  const double down2 = second.estimate - second.low, up1 = first.high - first.estimate;
  const double up2 = second.high - second.estimate, down1 = first.estimate - first.low;
  const double theta = second.estimate - first.estimate;
  const double below = std::sqrt(std::max(0.0, down2 * down2 - 2 * phi * down2 * up1 + up1 * up1));
  const double above = std::sqrt(std::max(0.0, up2 * up2 - 2 * phi * up2 * down1 + down1 * down1));
  return {theta, std::max(-1.0, theta - below), std::min(1.0, theta + above), confidence};
}

// ---------------------------------------------------------------------------------------------
// Tests.

TestResult WelchTTest(std::span<const double> a, std::span<const double> b) {
  const WelchParts w = Welch(a, b, "WelchTTest");
  if (w.se == 0)
    return {w.diff == 0 ? 0.0 : std::copysign(kInf, w.diff), w.diff == 0 ? 1.0 : 0.0, kNaN,
            "welch"};
  const double t = w.diff / w.se;
  return {t, std::min(1.0, 2 * StudentTSurvival(std::fabs(t), w.df)), w.df, "welch"};
}

TestResult WelchTTestOnLogs(std::span<const double> a, std::span<const double> b) {
  const std::vector<double> la = Logs(a, "WelchTTestOnLogs"), lb = Logs(b, "WelchTTestOnLogs");
  return WelchTTest(la, lb);
}

TestResult MannWhitneyU(std::span<const double> a, std::span<const double> b) {
  PERF_CHECK(!a.empty() && !b.empty(), "MannWhitneyU: needs two non-empty samples, got ", a.size(),
             " and ", b.size());
  const auto n1 = static_cast<int64_t>(a.size()), n2 = static_cast<int64_t>(b.size());
  std::vector<double> pooled(a.begin(), a.end());
  pooled.insert(pooled.end(), b.begin(), b.end());
  double tie_term = 0;
  const std::vector<double> ranks = Ranks(pooled, &tie_term);
  const double r1 = std::accumulate(ranks.begin(), ranks.begin() + n1, 0.0);
  const double u1 = r1 - static_cast<double>(n1 * (n1 + 1)) / 2;
  const double u = std::max(u1, static_cast<double>(n1 * n2) - u1);
  TestResult result{u1, 1.0, 0, ""};
  if ((n1 <= 8 || n2 <= 8) && tie_term == 0) {
    result.method = "exact";
    const std::vector<long double> counts = MannWhitneyCounts(n1, n2);
    long double total = 0, tail = 0;
    for (size_t k = 0; k < counts.size(); ++k) {
      total += counts[k];
      if (static_cast<double>(k) >= u) tail += counts[k];
    }
    result.p_value = std::clamp(static_cast<double>(2 * tail / total), 0.0, 1.0);
    return result;
  }
  result.method = "asymptotic";
  const double n = static_cast<double>(n1 + n2);
  const double s =
      std::sqrt(static_cast<double>(n1 * n2) / 12 * ((n + 1) - tie_term / (n * (n - 1))));
  if (s == 0) return result;  // every value tied: no evidence of a difference
  const double z = (u - static_cast<double>(n1 * n2) / 2 - 0.5) / s;
  result.p_value = std::clamp(
      2 * boost::math::cdf(boost::math::complement(boost::math::normal_distribution<double>(), z)),
      0.0, 1.0);
  return result;
}

TestResult SignTest(std::span<const double> x, double center) {
  int64_t above = 0, below = 0;
  for (double v : x) {
    above += v > center;
    below += v < center;
  }
  const int64_t n = above + below;
  TestResult r{static_cast<double>(above), 1.0, 0, "binomial"};
  if (n == 0) return r;
  const double lower = BinomialCdf(above, n, 0.5);
  const double upper = 1 - BinomialCdf(above - 1, n, 0.5);
  r.p_value = std::min(1.0, 2 * std::min(lower, upper));
  return r;
}

TestResult EquivalenceTestLogRatio(std::span<const double> a, std::span<const double> b,
                                   double margin) {
  PERF_CHECK(margin > 0, "EquivalenceTestLogRatio: margin ", margin, " must be positive");
  const std::vector<double> la = Logs(a, "EquivalenceTestLogRatio");
  const std::vector<double> lb = Logs(b, "EquivalenceTestLogRatio");
  const WelchParts w = Welch(la, lb, "EquivalenceTestLogRatio");
  const double bound = std::log1p(margin);
  TestResult r{w.diff, 1.0, w.df, "tost-welch"};
  if (w.se == 0) {
    r.p_value = std::fabs(w.diff) < bound ? 0.0 : 1.0;
    return r;
  }
  const double p_low = StudentTSurvival((w.diff + bound) / w.se, w.df);   // H0: diff <= -bound
  const double p_high = StudentTSurvival((bound - w.diff) / w.se, w.df);  // H0: diff >= +bound
  r.p_value = std::max(p_low, p_high);
  return r;
}

std::vector<double> HolmAdjust(std::span<const double> p_values) {
  const size_t m = p_values.size();
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t i, size_t j) { return p_values[i] < p_values[j]; });
  std::vector<double> adjusted(m);
  double running = 0;
  for (size_t rank = 0; rank < m; ++rank) {
    const double p = p_values[order[rank]];
    PERF_CHECK(p >= 0 && p <= 1, "HolmAdjust: p-value ", p, " is not in [0, 1]");
    running = std::max(running, std::min(1.0, static_cast<double>(m - rank) * p));
    adjusted[order[rank]] = running;
  }
  return adjusted;
}

// ---------------------------------------------------------------------------------------------
// Effect sizes.

double CohensD(std::span<const double> a, std::span<const double> b) {
  PERF_CHECK(a.size() >= 2 && b.size() >= 2, "CohensD: needs at least 2 values per sample");
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  const double pooled =
      std::sqrt(((na - 1) * Variance(a) + (nb - 1) * Variance(b)) / (na + nb - 2));
  return pooled == 0 ? kNaN : (Mean(b) - Mean(a)) / pooled;
}

double CliffsDelta(std::span<const double> a, std::span<const double> b) {
  PERF_CHECK(!a.empty() && !b.empty(), "CliffsDelta: needs two non-empty samples");
  const std::vector<double> sa = Sorted(a);
  double greater = 0, less = 0;
  for (double v : b) {
    less += static_cast<double>(sa.end() - std::upper_bound(sa.begin(), sa.end(), v));
    greater += static_cast<double>(std::lower_bound(sa.begin(), sa.end(), v) - sa.begin());
  }
  return (greater - less) / (static_cast<double>(a.size()) * static_cast<double>(b.size()));
}

// ---------------------------------------------------------------------------------------------
// Power.

double TwoSampleTPower(double d, int64_t n, double alpha) {
  PERF_CHECK(n >= 2 && alpha > 0 && alpha < 1, "TwoSampleTPower: n = ", n, ", alpha = ", alpha);
  const double df = 2.0 * static_cast<double>(n) - 2;
  const double t_crit = StudentTQuantile(1 - alpha / 2, df);
  const double ncp = std::fabs(d) * std::sqrt(static_cast<double>(n) / 2);
  const boost::math::non_central_t_distribution<double> nct(df, ncp);
  return boost::math::cdf(boost::math::complement(nct, t_crit)) + boost::math::cdf(nct, -t_crit);
}

int64_t SamplesForPower(double d, double alpha, double power) {
  PERF_CHECK(d > 0 && power > 0 && power < 1, "SamplesForPower: d = ", d, ", power = ", power);
  int64_t hi = 2;
  while (TwoSampleTPower(d, hi, alpha) < power) {
    PERF_CHECK(hi < (int64_t{1} << 40), "SamplesForPower: effect ", d, " is too small to detect");
    hi *= 2;
  }
  int64_t lo = hi / 2;  // power(lo) < target unless lo < 2
  if (lo < 2) return hi;
  while (hi - lo > 1) {
    const int64_t mid = (lo + hi) / 2;
    (TwoSampleTPower(d, mid, alpha) >= power ? hi : lo) = mid;
  }
  return hi;
}

double MinimumDetectableEffect(int64_t n, double alpha, double power) {
  PERF_CHECK(n >= 2 && power > 0 && power < 1, "MinimumDetectableEffect: n = ", n,
             ", power = ", power);
  double lo = 0, hi = 1;
  while (TwoSampleTPower(hi, n, alpha) < power) hi *= 2;
  for (int i = 0; i < 60; ++i) {
    const double mid = (lo + hi) / 2;
    (TwoSampleTPower(mid, n, alpha) >= power ? hi : lo) = mid;
  }
  return hi;
}

double RelativeChangeToEffect(double relative_change, double cv) {
  PERF_CHECK(relative_change > -1 && cv > 0, "RelativeChangeToEffect: change ", relative_change,
             ", cv ", cv);
  return std::log1p(relative_change) / std::sqrt(std::log1p(cv * cv));
}

double SamplesToNarrow(double n, double half_width, double needed) {
  const double ratio = half_width / needed;
  return n * ratio * ratio;
}

double EffectToRelativeChange(double d, double cv) {
  PERF_CHECK(cv > 0, "EffectToRelativeChange: cv ", cv, " must be positive");
  return std::expm1(d * std::sqrt(std::log1p(cv * cv)));
}

// ---------------------------------------------------------------------------------------------
// Outliers.

TukeyOutliers ClassifyTukey(std::span<const double> x) {
  CheckNotEmpty(x, "ClassifyTukey");
  const std::vector<double> s = Sorted(x);
  TukeyOutliers out;
  out.q1 = PercentileOfSorted(s, 25);
  out.q3 = PercentileOfSorted(s, 75);
  const double iqr = out.q3 - out.q1;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] < out.q1 - 3 * iqr) {
      out.low_severe.push_back(i);
    } else if (x[i] < out.q1 - 1.5 * iqr) {
      out.low_mild.push_back(i);
    } else if (x[i] > out.q3 + 3 * iqr) {
      out.high_severe.push_back(i);
    } else if (x[i] > out.q3 + 1.5 * iqr) {
      out.high_mild.push_back(i);
    }
  }
  return out;
}

std::vector<size_t> MadOutliers(std::span<const double> x, double threshold) {
  const double m = Median(x);
  const double mad = MedianAbsoluteDeviation(x);
  std::vector<size_t> out;
  for (size_t i = 0; i < x.size(); ++i) {
    const double dev = std::fabs(x[i] - m);
    if (mad == 0 ? dev > 0 : 0.6745 * dev / mad > threshold) out.push_back(i);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Complexity.

PowerLawFit FitPowerLaw(std::span<const double> sizes, std::span<const double> values,
                        double confidence) {
  CheckConfidence(confidence, "FitPowerLaw");
  PERF_CHECK(sizes.size() == values.size() && sizes.size() >= 3, "FitPowerLaw: needs >= 3 (size, ",
             "value) pairs, got ", sizes.size(), " sizes and ", values.size(), " values");
  const std::vector<double> x = Logs(sizes, "FitPowerLaw");
  const std::vector<double> y = Logs(values, "FitPowerLaw");
  const double mx = Mean(x), my = Mean(y);
  double sxx = 0, sxy = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) * (y[i] - my);
  }
  PERF_CHECK(sxx > 0, "FitPowerLaw: all sizes are equal");
  PowerLawFit fit;
  fit.n = x.size();
  fit.exponent = sxy / sxx;
  fit.coefficient = std::exp(my - fit.exponent * mx);
  const double sse = std::max(0.0, syy - fit.exponent * sxy);
  fit.r_squared = syy == 0 ? 1.0 : 1 - sse / syy;
  const double df = static_cast<double>(fit.n) - 2;
  const double se = std::sqrt(sse / df / sxx);
  const double half = StudentTQuantile(1 - (1 - confidence) / 2, df) * se;
  fit.exponent_low = fit.exponent - half;
  fit.exponent_high = fit.exponent + half;
  return fit;
}

}  // namespace perf
