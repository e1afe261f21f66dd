// Two runs compared benchmark by benchmark: pair them, measure each change, correct for the
// number of tests, decide.
#include "perf_framework/regression_compare.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <map>
#include <numeric>
#include <utility>
#include <vector>

#include "perf_framework/error.h"
#include "perf_framework/format.h"

namespace perf {

namespace {

using format::Num;
using format::SignedPercent;

// The drift between runs that the two sides show themselves: each side's estimate, weighted by
// its runs − 1. NaN when neither side has several runs.
double ObservedDrift(const BenchmarkSamples& a, const BenchmarkSamples& b) {
  double sum = 0, weight = 0;
  for (const BenchmarkSamples* s : {&a, &b}) {
    const double var = BetweenGroupVariance(LogSamplesByRun(*s));
    if (!std::isfinite(var)) continue;
    sum += var * (s->processes() - 1);
    weight += s->processes() - 1;
  }
  return weight > 0 ? std::sqrt(sum / weight) : kNaN;
}

// Warnings when the two runs' contexts say they come from different machines or builds.
void CompareContexts(const BenchmarkRun& b, const BenchmarkRun& c,
                     std::vector<std::string>& warnings) {
  // (Not library_build_type: Debian's libbenchmark reports "debug" though it is optimized.)
  for (const char* key : {"host_name", "num_cpus", "mhz_per_cpu"}) {
    if (!b.context.contains(key) || !c.context.contains(key)) continue;
    if (b.context[key] != c.context[key]) {
      warnings.push_back(std::string("DIFFERENT MACHINES OR BUILDS: ") + key + " is " +
                         b.context[key].dump() + " in the baseline and " + c.context[key].dump() +
                         " now; timings from different machines are not comparable");
    }
  }
}

// The benchmarks both runs measured, as (baseline, current), in the current run's order. The
// others go to the report: names only on one side, and a warning for each that reported an error.
std::vector<std::pair<const BenchmarkSamples*, const BenchmarkSamples*>> PairBenchmarks(
    const BenchmarkRun& baseline, const BenchmarkRun& current, ComparisonReport& report) {
  std::map<std::string, const BenchmarkSamples*> base;
  for (const BenchmarkSamples& s : baseline.benchmarks) base[s.name] = &s;
  std::vector<std::pair<const BenchmarkSamples*, const BenchmarkSamples*>> pairs;
  for (const BenchmarkSamples& cur : current.benchmarks) {
    const auto it = base.find(cur.name);
    if (it == base.end()) {
      report.only_in_current.push_back(cur.name);
      continue;
    }
    const BenchmarkSamples& old = *it->second;
    base.erase(it);
    if (!old.error.empty() || !cur.error.empty()) {
      report.warnings.push_back(cur.name + ": not compared, the benchmark reported an error (" +
                                (cur.error.empty() ? "baseline: " + old.error : cur.error) + ")");
      if (old.error.empty()) report.not_measured.push_back(cur.name);
      continue;
    }
    if (old.samples.empty() || cur.samples.empty()) continue;
    pairs.emplace_back(&old, &cur);
  }
  for (const auto& [name, s] : base) {
    report.only_in_baseline.push_back(name);
    if (s->error.empty()) report.not_measured.push_back(name);
  }
  std::sort(report.only_in_baseline.begin(), report.only_in_baseline.end());
  std::sort(report.not_measured.begin(), report.not_measured.end());
  if (!report.not_measured.empty()) {
    report.warnings.push_back(NotMeasuredWarning(report.not_measured));
  }
  return pairs;
}

// The drift to account for: the larger of the profiled one and the one the runs show, whichever
// is known (NaN when neither is).
double DriftFor(const BenchmarkSamples& old, const BenchmarkSamples& cur, const CompareOptions& o) {
  const double profiled = o.process_drift ? o.process_drift(cur.name) : kNaN;
  const double observed = ObservedDrift(old, cur);
  return std::isfinite(profiled) && std::isfinite(observed) ? std::max(profiled, observed)
         : std::isfinite(profiled)                          ? profiled
                                                            : observed;
}

// The change of one benchmark, before any verdict: the rank test's shift, interval and p-value on
// log times, widened by the drift between runs when there is any; with one value on a side, only
// the ratio of the medians.
BenchmarkChange MeasureChange(const BenchmarkSamples& old, const BenchmarkSamples& cur,
                              const CompareOptions& o) {
  BenchmarkChange c;
  c.name = cur.name;
  c.n_baseline = static_cast<int>(old.samples.size());
  c.n_current = static_cast<int>(cur.samples.size());
  c.runs_baseline = old.processes();
  c.runs_current = cur.processes();
  c.baseline_median = Median(old.samples);
  c.current_median = Median(cur.samples);
  c.ci_low_pct = c.ci_high_pct = kNaN;
  c.p_value = c.p_value_adjusted = kNaN;
  if (old.aggregate_only || cur.aggregate_only || c.n_baseline < 2 || c.n_current < 2) {
    c.method = kThresholdOnlyMethod;
    c.change_pct = 100 * (c.current_median / c.baseline_median - 1);
    return c;
  }
  const Interval shift =
      HodgesLehmannShift(LogSamples(old.samples), LogSamples(cur.samples), o.confidence);
  c.change_pct = 100 * std::expm1(shift.estimate);
  c.ci_low_pct = 100 * std::expm1(shift.low);
  c.ci_high_pct = 100 * std::expm1(shift.high);
  const TestResult mw = MannWhitneyU(old.samples, cur.samples);
  c.p_value = mw.p_value;
  c.method = "mann-whitney (" + mw.method + ")";
  const double drift = DriftFor(old, cur, o);
  if (std::isfinite(drift) && drift > 0) {
    // The rank test's interval, read as a normal one, widened by the runs' own offsets;
    // the p-value is the larger of the rank test's and this normal test's.
    const double z = NormalQuantile(0.5 + o.confidence / 2);
    const double se_within = (shift.high - shift.low) / (2 * z);
    const double se =
        std::hypot(se_within, drift * std::sqrt(1.0 / old.processes() + 1.0 / cur.processes()));
    c.ci_low_pct = 100 * std::expm1(shift.estimate - z * se);
    c.ci_high_pct = 100 * std::expm1(shift.estimate + z * se);
    c.p_value = std::max(mw.p_value, std::erfc(std::abs(shift.estimate) / se / std::sqrt(2.0)));
    c.method += " + process drift";
    c.process_drift_pct = 100 * drift;
  }
  return c;
}

bool RankTested(const BenchmarkChange& c) { return c.method != kThresholdOnlyMethod; }

// The smallest two-sided p the rank test gives n against m samples: all of one side below the
// other. Asked of the test itself, so that it follows the test's switch from exact counts
// (2 / C(n + m, n)) to the normal approximation above 8 a side, whose floor is higher.
double RankTestFloor(int n, int m) {
  std::vector<double> below(static_cast<size_t>(n)), above(static_cast<size_t>(m));
  std::iota(below.begin(), below.end(), 0.0);
  std::iota(above.begin(), above.end(), static_cast<double>(n));
  return MannWhitneyU(below, above).p_value;
}

// A benchmark whose floor, times the number of tests (Holm's first step), is not below alpha can
// never be called a regression or an improvement: warn, with the repetitions that would lift the
// floor.
void WarnWhenUnderpowered(ComparisonReport& report) {
  const double alpha = report.options.alpha;
  const auto tested = std::count_if(report.changes.begin(), report.changes.end(), RankTested);
  const double tests = static_cast<double>(tested);
  int underpowered = 0, n_min = std::numeric_limits<int>::max();
  for (const BenchmarkChange& c : report.changes) {
    if (RankTested(c) && RankTestFloor(c.n_baseline, c.n_current) * tests >= alpha) {
      ++underpowered;
      n_min = std::min({n_min, c.n_baseline, c.n_current});
    }
  }
  if (underpowered == 0) return;
  int n = n_min;
  while (n < 1000 && RankTestFloor(n, n) * tests >= alpha) ++n;
  report.warnings.push_back(
      std::to_string(underpowered) + " of " + std::to_string(tested) +
      " benchmarks can never be called a regression: with as few as " + std::to_string(n_min) +
      " samples per side the rank test cannot go below p = " + Num(RankTestFloor(n_min, n_min)) +
      ", and Holm's correction over " + std::to_string(tested) + " benchmarks needs p < " +
      Num(alpha / tests) + ". Run at least " + std::to_string(n) + " repetitions per side");
}

// Holm's correction over every rank-tested change.
void AdjustPValues(std::vector<BenchmarkChange>& changes) {
  std::vector<double> p_values;
  for (const BenchmarkChange& c : changes) {
    if (RankTested(c)) p_values.push_back(c.p_value);
  }
  const std::vector<double> adjusted = HolmAdjust(p_values);
  size_t k = 0;
  for (BenchmarkChange& c : changes) {
    if (RankTested(c)) c.p_value_adjusted = adjusted[k++];
  }
}

// An estimate of what would decide an inconclusive change, in its reason: repetitions per side,
// or, under drift between runs, alternating runs per side.
void ExplainInconclusive(BenchmarkChange& c, double log_band) {
  const bool has_ci = std::isfinite(c.ci_low_pct) && std::isfinite(c.ci_high_pct);
  const int n = std::min(c.n_baseline, c.n_current);
  const double est = std::log1p(c.change_pct / 100);
  const double half =
      has_ci ? (std::log1p(c.ci_high_pct / 100) - std::log1p(c.ci_low_pct / 100)) / 2 : kNaN;
  // Interval width shrinks as 1/√n: enough repetitions to fit it inside the band (an
  // estimate inside it) or to clear zero (an estimate beyond it).
  const double needed = std::abs(est) < log_band ? log_band - std::abs(est) : std::abs(est);
  const auto settle = [&](int samples) {
    if (!(needed > 1e-9) || !std::isfinite(half)) return 0;
    return static_cast<int>(std::min(1e6, std::ceil(SamplesToNarrow(samples, half, needed))));
  };
  c.repetitions_to_settle = has_ci ? settle(n) : std::max(2 * n, 6);
  c.reason += ": too few or too noisy samples to decide";
  if (std::isfinite(c.process_drift_pct)) {
    // Under drift each run adds one offset and its repetitions together, so the interval
    // shrinks as 1/√runs: more runs are what helps, not more repetitions of one.
    c.runs_to_settle = has_ci ? settle(std::min(c.runs_baseline, c.runs_current)) : 0;
    c.repetitions_to_settle = 0;
    c.reason += "; the runs drift by about " + Num(c.process_drift_pct) +
                "% from one to the next, so more repetitions of one run cannot settle it";
    if (c.runs_to_settle > 0) {
      c.reason +=
          ", about " + std::to_string(c.runs_to_settle) + " alternating runs per side would";
    }
  } else if (c.repetitions_to_settle > 0) {
    c.reason += "; about " + std::to_string(c.repetitions_to_settle) +
                " repetitions per side would settle it";
  } else {
    c.reason += "; the estimate sits at the threshold itself";
  }
}

// The verdict rule (regression_compare.h) on one measured change, with its reason.
void Decide(BenchmarkChange& c, const CompareOptions& o) {
  const double up = 100 * o.threshold, down = 100 * (1 / (1 + o.threshold) - 1);
  const std::string change = SignedPercent(c.change_pct);
  if (!RankTested(c)) {
    c.verdict = c.change_pct > up     ? ChangeVerdict::kRegression
                : c.change_pct < down ? ChangeVerdict::kImprovement
                                      : ChangeVerdict::kUnchanged;
    c.reason = "threshold only (one value per side, no significance test): " + change;
    c.repetitions_to_settle = 0;
  } else {
    const bool significant = c.p_value_adjusted < o.alpha;
    const bool has_ci = std::isfinite(c.ci_low_pct) && std::isfinite(c.ci_high_pct);
    const std::string numbers = change + " [" + SignedPercent(c.ci_low_pct) + ", " +
                                SignedPercent(c.ci_high_pct) + "], p = " + Num(c.p_value) +
                                " (Holm " + Num(c.p_value_adjusted) + ")";
    if (significant && c.change_pct > up) {
      c.verdict = ChangeVerdict::kRegression;
      c.reason = "slower by " + numbers + ", beyond the " + Num(up) + "% threshold";
    } else if (significant && c.change_pct < down) {
      c.verdict = ChangeVerdict::kImprovement;
      c.reason = "faster: " + numbers;
    } else if (has_ci && c.ci_low_pct >= down && c.ci_high_pct <= up) {
      c.verdict = ChangeVerdict::kUnchanged;
      // ±threshold as ratios: slower by up to `up`, faster by up to the same factor.
      c.reason = numbers + " lies within ±" + Num(up) + "% [" + SignedPercent(down) + ", +" +
                 Num(up) + "%]";
    } else {
      c.verdict = ChangeVerdict::kInconclusive;
      c.reason = numbers;
      ExplainInconclusive(c, std::log1p(o.threshold));
    }
  }
  if (c.verdict == ChangeVerdict::kRegression) {
    c.severity = c.change_pct > 50 ? "severe" : c.change_pct > 20 ? "moderate" : "minor";
  }
}

}  // namespace

ComparisonReport CompareRuns(const BenchmarkRun& baseline, const BenchmarkRun& current,
                             const CompareOptions& o) {
  PERF_CHECK(o.threshold > 0 && o.threshold < 10, "CompareRuns: threshold ", o.threshold,
             " must be in (0, 10)");
  PERF_CHECK(o.alpha > 0 && o.alpha < 1, "CompareRuns: alpha ", o.alpha, " must be in (0, 1)");
  ComparisonReport report;
  report.baseline_source = baseline.source;
  report.current_source = current.source;
  report.options = o;
  report.unit = current.unit;
  CompareContexts(baseline, current, report.warnings);
  for (const auto& [old, cur] : PairBenchmarks(baseline, current, report)) {
    report.changes.push_back(MeasureChange(*old, *cur, o));
    report.changes.back().unit = current.unit;
  }
  WarnWhenUnderpowered(report);
  AdjustPValues(report.changes);
  for (BenchmarkChange& c : report.changes) {
    Decide(c, o);
    report.regressions += c.verdict == ChangeVerdict::kRegression;
  }
  return report;
}

std::string NotMeasuredWarning(const std::vector<std::string>& names) {
  constexpr size_t kNamed = 10;
  std::string list;
  for (size_t i = 0; i < std::min(names.size(), kNamed); ++i) {
    list += (i ? ", " : "") + names[i];
  }
  if (names.size() > kNamed) list += " and " + std::to_string(names.size() - kNamed) + " more";
  return std::to_string(names.size()) +
         " benchmark(s) of the baseline not measured now (absent, or an error): " + list +
         "; no comparison vouches for them";
}

std::string BenchmarkFamily(const std::string& name) { return name.substr(0, name.find('/')); }

std::vector<std::string> ComparisonReport::RegressedFamilies() const {
  std::vector<std::string> families;
  for (const BenchmarkChange& c : changes) {
    if (c.verdict == ChangeVerdict::kRegression) families.push_back(BenchmarkFamily(c.name));
  }
  std::sort(families.begin(), families.end());
  families.erase(std::unique(families.begin(), families.end()), families.end());
  return families;
}

}  // namespace perf
