// Regression detection between two Google Benchmark runs.
#include "perf_framework/regression.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <iomanip>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "perf_framework/error.h"
#include "perf_framework/escape.h"
#include "perf_framework/format.h"
#include "perf_framework/statistics.h"
#include "perf_framework/suite.h"

namespace perf {

const char* ChangeVerdictName(ChangeVerdict v) {
  switch (v) {
    case ChangeVerdict::kRegression:
      return "regression";
    case ChangeVerdict::kImprovement:
      return "improvement";
    case ChangeVerdict::kUnchanged:
      return "unchanged";
    case ChangeVerdict::kInconclusive:
      return "inconclusive";
  }
  return "?";
}

BenchmarkRun ParseGoogleBenchmark(const nlohmann::json& j, const std::string& source,
                                  const std::string& metric) {
  PERF_CHECK(metric == "real_time" || metric == "cpu_time", "ParseGoogleBenchmark: metric '",
             metric, "' must be real_time or cpu_time");
  PERF_CHECK(j.is_object() && j.contains("benchmarks") && j["benchmarks"].is_array(), source,
             ": not Google Benchmark JSON (no 'benchmarks' array)");
  static const std::map<std::string, double> kToNs = {
      {"ns", 1.0}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};
  // An optional field of the wrong type is an error naming it, as a missing required one is.
  const auto optional = [](const nlohmann::json& b, const char* key, auto fallback,
                           const std::string& where) {
    if (!b.contains(key)) return fallback;
    try {
      return b.at(key).get<decltype(fallback)>();
    } catch (const nlohmann::json::exception&) {
      detail::Throw(where, ": field '", key, "' has the wrong type (", b.at(key).type_name(), ")");
    }
  };
  BenchmarkRun run;
  run.source = source;
  run.context = j.value("context", nlohmann::json::object());
  std::map<std::string, size_t> index;  // name → position in run.benchmarks
  std::map<std::string, std::map<std::string, double>> aggregates;  // name → {median, mean}
  const auto entry = [&](const std::string& name) -> BenchmarkSamples& {
    const auto [it, added] = index.emplace(name, run.benchmarks.size());
    if (added) run.benchmarks.push_back({name, {}, false, "", {}});
    return run.benchmarks[it->second];
  };
  for (size_t i = 0; i < j["benchmarks"].size(); ++i) {
    const nlohmann::json& b = j["benchmarks"][i];
    const std::string where = source + ": benchmarks[" + std::to_string(i) + "]";
    PERF_CHECK(b.is_object() && b.contains("name") && b["name"].is_string(), where, ": no 'name'");
    const std::string name = b.contains("run_name") && b["run_name"].is_string()
                                 ? b["run_name"].get<std::string>()
                                 : b["name"].get<std::string>();
    if (optional(b, "error_occurred", false, where)) {
      entry(name).error = optional(b, "error_message", std::string("error_occurred"), where);
      continue;
    }
    const std::string run_type = optional(b, "run_type", std::string("iteration"), where);
    const std::string aggregate = optional(b, "aggregate_name", std::string(), where);
    // Only a central value stands in for samples; stddev, cv, BigO and RMS are not times of a run.
    if (run_type == "aggregate" && aggregate != "median" && aggregate != "mean") continue;
    PERF_CHECK(b.contains(metric) && b[metric].is_number(), where, " (", name, "): no numeric '",
               metric, "'");
    const std::string unit = optional(b, "time_unit", std::string("ns"), where);
    const auto scale = kToNs.find(unit);
    PERF_CHECK(scale != kToNs.end(), where, ": unknown time_unit '", unit, "'");
    const double ns = b[metric].get<double>() * scale->second;
    PERF_CHECK(std::isfinite(ns) && ns >= 0, where, " (", name, "): ", metric, " ", ns,
               " is not a time");
    if (run_type == "aggregate") {
      entry(name);
      aggregates[name][aggregate] = ns;
    } else {
      entry(name).samples.push_back(ns);
    }
  }
  for (BenchmarkSamples& s : run.benchmarks) {
    if (!s.samples.empty()) s.runs = {s.samples.size()};
    if (!s.samples.empty() || !s.error.empty()) continue;
    const auto& a = aggregates[s.name];
    const auto pick = a.count("median") ? a.find("median") : a.find("mean");
    if (pick != a.end()) {
      s.samples = {pick->second};
      s.runs = {1};
      s.aggregate_only = true;
    }
  }
  return run;
}

BenchmarkRun ReadGoogleBenchmark(const std::string& path, const std::string& metric) {
  return ParseGoogleBenchmark(ReadJsonFile(path), path, metric);
}

BenchmarkRun MergeRuns(const std::vector<BenchmarkRun>& runs, const std::string& source) {
  PERF_CHECK(!runs.empty(), "MergeRuns: no runs to merge for ", source);
  BenchmarkRun merged;
  merged.source = source;
  merged.context = runs.front().context;
  std::map<std::string, size_t> index;
  for (const BenchmarkRun& run : runs) {
    for (const BenchmarkSamples& b : run.benchmarks) {
      const auto [it, added] = index.emplace(b.name, merged.benchmarks.size());
      if (added) {
        merged.benchmarks.push_back(b);
        continue;
      }
      BenchmarkSamples& m = merged.benchmarks[it->second];
      if (!b.error.empty()) m.error = b.error;
      m.runs.insert(m.runs.end(), b.runs.begin(), b.runs.end());
      if (m.aggregate_only != b.aggregate_only) {
        throw Error(source + ": " + b.name +
                    " has repetitions in one file and only aggregates in another; rerun them "
                    "alike");
      }
      m.samples.insert(m.samples.end(), b.samples.begin(), b.samples.end());
    }
  }
  return merged;
}

namespace {

std::string Pct(double v) {
  if (!std::isfinite(v)) return "n/a";
  char buf[32];
  // %+.1f of a huge change would have hundreds of digits (and not fit); three significant digits
  // say as much about a change beyond a billion percent.
  std::snprintf(buf, sizeof buf, std::abs(v) < 1e9 ? "%+.1f%%" : "%+.3g%%", v);
  return buf;
}

using format::Num;

// BenchmarkChange::method of a comparison without a significance test.
constexpr const char* kThresholdOnly = "threshold only";

std::vector<double> Logs(const std::vector<double>& times) {
  std::vector<double> logs(times.size());
  std::transform(times.begin(), times.end(), logs.begin(),
                 [](double v) { return std::log(std::max(v, 1e-300)); });
  return logs;
}

// One-way random-effects ANOVA (method of moments) on log times with the runs as groups: the
// variance between runs beyond what their repetitions explain, at least 0. NaN unless there are
// 2 or more runs of 2 or more repetitions each.
double BetweenRunVariance(const std::vector<std::vector<double>>& runs) {
  if (runs.size() < 2) return NAN;
  std::vector<double> means;
  double within = 0, reps = 0;  // averages over the runs
  for (const std::vector<double>& r : runs) {
    if (r.size() < 2) return NAN;
    means.push_back(Mean(r));
    within += Variance(r) / static_cast<double>(runs.size());
    reps += static_cast<double>(r.size()) / static_cast<double>(runs.size());
  }
  return std::max(0.0, Variance(means) - within / reps);
}

// A benchmark's log times, split into its runs.
std::vector<std::vector<double>> LogRuns(const BenchmarkSamples& b) {
  const std::vector<double> logs = Logs(b.samples);
  std::vector<std::vector<double>> runs;
  size_t start = 0;
  for (const size_t n : b.runs) {
    runs.emplace_back(logs.begin() + static_cast<std::ptrdiff_t>(start),
                      logs.begin() + static_cast<std::ptrdiff_t>(start + n));
    start += n;
  }
  return runs;
}

// The drift between runs that the two sides show themselves: each side's estimate, weighted by
// its runs − 1. NaN when neither side has several runs.
double ObservedDrift(const BenchmarkSamples& a, const BenchmarkSamples& b) {
  double sum = 0, weight = 0;
  for (const BenchmarkSamples* s : {&a, &b}) {
    const double var = BetweenRunVariance(LogRuns(*s));
    if (!std::isfinite(var)) continue;
    sum += var * (s->processes() - 1);
    weight += s->processes() - 1;
  }
  return weight > 0 ? std::sqrt(sum / weight) : NAN;
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

int Settle(int n, double half_width, double needed) {
  if (!(needed > 1e-9) || !std::isfinite(half_width)) return 0;
  const double ratio = half_width / needed;
  return static_cast<int>(std::min(1e6, std::ceil(n * ratio * ratio)));
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
  CompareContexts(baseline, current, report.warnings);
  std::map<std::string, const BenchmarkSamples*> base;
  for (const BenchmarkSamples& s : baseline.benchmarks) base[s.name] = &s;

  std::vector<size_t> tested;  // changes with a rank test, for Holm
  std::vector<double> p_values;
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
      continue;
    }
    if (old.samples.empty() || cur.samples.empty()) continue;
    BenchmarkChange c;
    c.name = cur.name;
    c.n_baseline = static_cast<int>(old.samples.size());
    c.n_current = static_cast<int>(cur.samples.size());
    c.runs_baseline = old.processes();
    c.runs_current = cur.processes();
    c.baseline_median = Median(old.samples);
    c.current_median = Median(cur.samples);
    c.ci_low_pct = c.ci_high_pct = NAN;
    c.p_value = c.p_value_adjusted = NAN;
    if (old.aggregate_only || cur.aggregate_only || c.n_baseline < 2 || c.n_current < 2) {
      c.method = kThresholdOnly;
      c.change_pct = 100 * (c.current_median / c.baseline_median - 1);
    } else {
      const Interval shift = HodgesLehmannShift(Logs(old.samples), Logs(cur.samples), o.confidence);
      c.change_pct = 100 * std::expm1(shift.estimate);
      c.ci_low_pct = 100 * std::expm1(shift.low);
      c.ci_high_pct = 100 * std::expm1(shift.high);
      const TestResult mw = MannWhitneyU(old.samples, cur.samples);
      c.p_value = mw.p_value;
      c.method = "mann-whitney (" + mw.method + ")";
      const double profiled = o.process_drift ? o.process_drift(cur.name) : NAN;
      const double observed = ObservedDrift(old, cur);
      const double drift = std::isfinite(profiled) && std::isfinite(observed)
                               ? std::max(profiled, observed)
                           : std::isfinite(profiled) ? profiled
                                                     : observed;
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
      tested.push_back(report.changes.size());
      p_values.push_back(c.p_value);
    }
    report.changes.push_back(std::move(c));
  }
  for (const auto& [name, s] : base) report.only_in_baseline.push_back(name);
  std::sort(report.only_in_baseline.begin(), report.only_in_baseline.end());
  // The smallest two-sided p the rank test can give n against m samples is 2 / C(n + m, n) (all
  // of one side below the other). A benchmark whose floor, times the number of tests (Holm's
  // first step), is not below alpha can never be called a regression or an improvement.
  const auto p_floor = [](int n, int m) {
    return 2 * std::exp(std::lgamma(n + 1.0) + std::lgamma(m + 1.0) - std::lgamma(n + m + 1.0));
  };
  const double tests = static_cast<double>(tested.size());
  int underpowered = 0, n_min = std::numeric_limits<int>::max();
  for (const size_t k : tested) {
    const BenchmarkChange& c = report.changes[k];
    if (p_floor(c.n_baseline, c.n_current) * tests >= o.alpha) {
      ++underpowered;
      n_min = std::min({n_min, c.n_baseline, c.n_current});
    }
  }
  if (underpowered > 0) {
    int n = n_min;
    while (n < 1000 && p_floor(n, n) * tests >= o.alpha) ++n;
    report.warnings.push_back(
        std::to_string(underpowered) + " of " + std::to_string(tested.size()) +
        " benchmarks can never be called a regression: with as few as " + std::to_string(n_min) +
        " samples per side the rank test cannot go below p = " + Num(p_floor(n_min, n_min)) +
        ", and Holm's correction over " + std::to_string(tested.size()) + " benchmarks needs p < " +
        Num(o.alpha / tests) + ". Run at least " + std::to_string(n) + " repetitions per side");
  }
  const std::vector<double> adjusted = HolmAdjust(p_values);
  for (size_t k = 0; k < tested.size(); ++k)
    report.changes[tested[k]].p_value_adjusted = adjusted[k];

  const double up = 100 * o.threshold, down = 100 * (1 / (1 + o.threshold) - 1);
  const double log_band = std::log1p(o.threshold);
  for (BenchmarkChange& c : report.changes) {
    const std::string change = Pct(c.change_pct);
    if (c.method == kThresholdOnly) {
      c.verdict = c.change_pct > up     ? ChangeVerdict::kRegression
                  : c.change_pct < down ? ChangeVerdict::kImprovement
                                        : ChangeVerdict::kUnchanged;
      c.reason = "threshold only (one value per side, no significance test): " + change;
      c.repetitions_to_settle = 0;
    } else {
      const bool significant = c.p_value_adjusted < o.alpha;
      const bool has_ci = std::isfinite(c.ci_low_pct) && std::isfinite(c.ci_high_pct);
      const std::string numbers = change + " [" + Pct(c.ci_low_pct) + ", " + Pct(c.ci_high_pct) +
                                  "], p = " + Num(c.p_value) + " (Holm " + Num(c.p_value_adjusted) +
                                  ")";
      if (significant && c.change_pct > up) {
        c.verdict = ChangeVerdict::kRegression;
        c.reason = "slower by " + numbers + ", beyond the " + Num(up) + "% threshold";
      } else if (significant && c.change_pct < down) {
        c.verdict = ChangeVerdict::kImprovement;
        c.reason = "faster: " + numbers;
      } else if (has_ci && c.ci_low_pct >= down && c.ci_high_pct <= up) {
        c.verdict = ChangeVerdict::kUnchanged;
        c.reason = numbers + " lies within ±" + Num(up) + "%";
      } else {
        c.verdict = ChangeVerdict::kInconclusive;
        const int n = std::min(c.n_baseline, c.n_current);
        const double est = std::log1p(c.change_pct / 100);
        const double half =
            has_ci ? (std::log1p(c.ci_high_pct / 100) - std::log1p(c.ci_low_pct / 100)) / 2 : NAN;
        // Interval width shrinks as 1/√n: enough repetitions to fit it inside the band (an
        // estimate inside it) or to clear zero (an estimate beyond it).
        const double needed = std::abs(est) < log_band ? log_band - std::abs(est) : std::abs(est);
        c.repetitions_to_settle = has_ci ? Settle(n, half, needed) : std::max(2 * n, 6);
        c.reason = numbers + ": too few or too noisy samples to decide";
        if (std::isfinite(c.process_drift_pct)) {
          // Under drift each run adds one offset and its repetitions together, so the interval
          // shrinks as 1/√runs: more runs are what helps, not more repetitions of one.
          c.runs_to_settle =
              has_ci ? Settle(std::min(c.runs_baseline, c.runs_current), half, needed) : 0;
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
    }
    if (c.verdict == ChangeVerdict::kRegression) {
      ++report.regressions;
      c.severity = c.change_pct > 50 ? "severe" : c.change_pct > 20 ? "moderate" : "minor";
    }
  }
  return report;
}

nlohmann::json ComparisonReport::ToJson() const {
  const auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nullptr; };
  nlohmann::json j = {{"baseline", baseline_source},
                      {"current", current_source},
                      {"threshold_pct", 100 * options.threshold},
                      {"alpha", options.alpha},
                      {"confidence", options.confidence},
                      {"comparisons", nlohmann::json::array()},
                      {"regressions", regressions},
                      {"only_in_baseline", only_in_baseline},
                      {"only_in_current", only_in_current},
                      {"warnings", warnings}};
  for (const BenchmarkChange& c : changes) {
    j["comparisons"].push_back(
        {{"name", c.name},
         {"baseline_median", c.baseline_median},
         {"current_median", c.current_median},
         {"unit", c.unit},
         {"change_pct", number(c.change_pct)},
         {"ci_low_pct", number(c.ci_low_pct)},
         {"ci_high_pct", number(c.ci_high_pct)},
         {"p_value", number(c.p_value)},
         {"p_value_adjusted", number(c.p_value_adjusted)},
         {"n_baseline", c.n_baseline},
         {"n_current", c.n_current},
         {"verdict", ChangeVerdictName(c.verdict)},
         {"severity", c.severity.empty() ? nullptr : nlohmann::json(c.severity)},
         {"method", c.method},
         {"reason", c.reason},
         {"repetitions_to_settle", c.repetitions_to_settle},
         {"runs_baseline", c.runs_baseline},
         {"runs_current", c.runs_current},
         {"process_drift_pct", number(c.process_drift_pct)},
         {"runs_to_settle", c.runs_to_settle}});
  }
  return j;
}

namespace {

std::string Summary(const ComparisonReport& r) {
  std::map<ChangeVerdict, int> n;
  for (const BenchmarkChange& c : r.changes) ++n[c.verdict];
  std::ostringstream s;
  s << r.changes.size() << " benchmarks compared: " << n[ChangeVerdict::kRegression]
    << " regression(s), " << n[ChangeVerdict::kImprovement] << " improvement(s), "
    << n[ChangeVerdict::kUnchanged] << " unchanged, " << n[ChangeVerdict::kInconclusive]
    << " inconclusive (threshold " << Num(100 * r.options.threshold) << "%, family-wise alpha "
    << Num(r.options.alpha) << ", Holm)";
  return s.str();
}

// The text table's columns: the name, then the numbers at fixed widths (printf's %12.4g, %9s, ...
// as stream manipulators, so no buffer bounds a row).
constexpr size_t kTextNameWidth = 44;

std::string TextHeader() {
  std::ostringstream row;
  row << format::PadRight("benchmark", kTextNameWidth) << ' ' << std::setw(12) << "baseline ns"
      << ' ' << std::setw(12) << "current ns" << ' ' << std::setw(9) << "change" << ' '
      << std::setw(21) << "95% interval" << ' ' << std::setw(9) << "p (Holm)" << ' ' << std::setw(5)
      << 'n' << "  verdict\n";
  return row.str();
}

std::string TextRow(const BenchmarkChange& c) {
  const std::string ci = "[" + Pct(c.ci_low_pct) + ", " + Pct(c.ci_high_pct) + "]";
  const std::string verdict = std::string(ChangeVerdictName(c.verdict)) +
                              (c.severity.empty() ? "" : " (" + c.severity + ")") +
                              (c.method == kThresholdOnly ? " [threshold only]" : "");
  std::ostringstream row;
  row << format::PadRight(format::TerminalName(c.name), kTextNameWidth) << std::setprecision(4)
      << ' ' << std::setw(12) << c.baseline_median << ' ' << std::setw(12) << c.current_median
      << ' ' << std::setw(9) << Pct(c.change_pct) << ' ' << std::setw(21) << ci << ' '
      << std::setw(9) << (std::isfinite(c.p_value_adjusted) ? Num(c.p_value_adjusted) : "n/a")
      << ' ' << std::setw(2) << c.n_baseline << '/' << std::left << std::setw(2) << c.n_current
      << ' ' << verdict << '\n';
  return row.str();
}

}  // namespace

std::string ComparisonReport::ToText() const {
  std::ostringstream s;
  s << "baseline: " << escape::Terminal(baseline_source)
    << "\ncurrent:  " << escape::Terminal(current_source) << "\n";
  for (const std::string& w : warnings) s << "WARNING: " << escape::Terminal(w) << "\n";
  s << TextHeader();
  for (const BenchmarkChange& c : changes) s << TextRow(c);
  for (const std::string& n : only_in_baseline)
    s << "only in the baseline: " << format::TerminalName(n) << "\n";
  for (const std::string& n : only_in_current)
    s << "only in the current run: " << format::TerminalName(n) << "\n";
  s << Summary(*this) << "\n";
  return s.str();
}

std::string ComparisonReport::ToMarkdown() const {
  std::ostringstream s;
  s << "### Benchmark comparison\n\n"
    << (regressions > 0 ? "**" + std::to_string(regressions) + " regression(s)**. "
                        : "No regressions. ")
    << Summary(*this) << ".\n\n";
  for (const std::string& w : warnings) {
    s << "> **Warning:** " << escape::MarkdownCell(w) << "\n>\n";
  }
  if (!warnings.empty()) s << "\n";
  s << "| benchmark | baseline | current | change [95% CI] | p (Holm) | n | verdict |\n"
    << "|---|---|---|---|---|---|---|\n";
  for (const BenchmarkChange& c : changes) {
    s << "| " << format::MarkdownName(c.name) << " | " << Num(c.baseline_median) << " ns | "
      << Num(c.current_median) << " ns | " << Pct(c.change_pct);
    if (std::isfinite(c.ci_low_pct))
      s << " [" << Pct(c.ci_low_pct) << ", " << Pct(c.ci_high_pct) << "]";
    s << " | "
      << (c.method == kThresholdOnly ? std::string(kThresholdOnly) : Num(c.p_value_adjusted))
      << " | " << c.n_baseline << "/" << c.n_current << " | "
      << (c.verdict == ChangeVerdict::kRegression ? "**" : "") << ChangeVerdictName(c.verdict)
      << (c.severity.empty() ? "" : " (" + c.severity + ")")
      << (c.verdict == ChangeVerdict::kRegression ? "**" : "") << " |\n";
  }
  if (!only_in_baseline.empty() || !only_in_current.empty()) {
    s << "\nNot compared: " << only_in_baseline.size() << " only in the baseline, "
      << only_in_current.size() << " only in the current run.\n";
  }
  return s.str();
}

namespace {

std::string Family(const std::string& name) { return name.substr(0, name.find('/')); }

}  // namespace

std::vector<BenchmarkDrift> ProcessDrift(const std::vector<BenchmarkRun>& runs) {
  std::map<std::string, std::vector<std::vector<double>>> logs;  // name → per run, log times
  std::vector<std::string> order;
  for (const BenchmarkRun& run : runs) {
    for (const BenchmarkSamples& b : run.benchmarks) {
      if (!b.error.empty()) continue;
      PERF_CHECK(!b.aggregate_only && b.samples.size() >= 2, "ProcessDrift: ", b.name, " in ",
                 run.source, " has ", b.samples.size(),
                 " sample(s); the drift needs repetitions (--benchmark_repetitions >= 2)");
      auto& groups = logs[b.name];
      if (groups.empty()) order.push_back(b.name);
      for (std::vector<double>& r : LogRuns(b)) groups.push_back(std::move(r));
    }
  }
  std::vector<BenchmarkDrift> out;
  for (const std::string& name : order) {
    const auto& groups = logs[name];
    PERF_CHECK(groups.size() >= 3, "ProcessDrift: ", name, " ran in ", groups.size(),
               " run(s); the drift between runs needs at least 3");
    const double var = BetweenRunVariance(groups);
    PERF_CHECK(std::isfinite(var), "ProcessDrift: ", name,
               " has a run with fewer than 2 repetitions");
    out.push_back({name, static_cast<int>(groups.size()), 100 * std::sqrt(var)});
  }
  return out;
}

NoiseProfile ProfileFromAA(const std::vector<ComparisonReport>& aa, const std::string& fingerprint,
                           int rounds, int repetitions, const std::vector<BenchmarkDrift>& drift) {
  NoiseProfile p;
  p.drift = drift;
  p.fingerprint = fingerprint;
  p.rounds = rounds;
  p.repetitions = repetitions;
  std::map<std::string, std::vector<const BenchmarkChange*>> families;
  for (const ComparisonReport& r : aa) {
    p.threshold_pct = 100 * r.options.threshold;
    for (const BenchmarkChange& c : r.changes) {
      families[Family(c.name)].push_back(&c);
      ++p.benchmarks;
      p.false_alarms += c.verdict == ChangeVerdict::kRegression;
    }
  }
  PERF_CHECK(p.benchmarks > 0, "ProfileFromAA: the A/A comparisons compared no benchmark");
  for (const auto& [family, changes] : families) {
    FamilyNoise f;
    f.family = family;
    f.benchmarks = static_cast<int>(changes.size());
    std::vector<double> abs_change;
    for (const BenchmarkChange* c : changes) {
      abs_change.push_back(std::abs(c->change_pct));
      const double half = (c->ci_high_pct - c->ci_low_pct) / 2;
      // Without an interval (threshold-only), the change itself is the only noise estimate.
      f.resolution_pct =
          std::max(f.resolution_pct, std::isfinite(half) ? half : std::abs(c->change_pct));
    }
    f.median_abs_change_pct = Median(abs_change);
    std::vector<double> family_drift;
    for (const BenchmarkDrift& d : drift) {
      if (Family(d.name) == family) family_drift.push_back(d.process_drift_pct);
    }
    if (!family_drift.empty()) f.process_drift_pct = Median(family_drift);
    p.families.push_back(f);
  }
  if (!drift.empty()) {
    // n runs per side resolve a change t when z_{1−α/2m} + z_{0.8} standard errors
    // (drift · √(2/n)) fit in log(1 + t): Holm's first step over the whole suite, 80% power.
    std::vector<double> all;
    for (const BenchmarkDrift& d : drift) all.push_back(d.process_drift_pct / 100);
    const double z =
        NormalQuantile(1 - 0.05 / (2.0 * static_cast<double>(all.size()))) + NormalQuantile(0.8);
    const double per_side = Median(all) * z / std::log1p(p.threshold_pct / 100);
    p.recommended_runs = static_cast<int>(std::clamp(std::ceil(2 * per_side * per_side), 1.0, 1e4));
  }
  const Interval rate = WilsonInterval(p.false_alarms, p.benchmarks);
  p.false_alarm_rate = rate.estimate;
  p.false_alarm_low = rate.low;
  p.false_alarm_high = rate.high;
  // Per comparison of the whole suite: the rate times the distinct benchmarks (the A/A pairs
  // compare each several times).
  std::set<std::string> names;
  for (const ComparisonReport& r : aa) {
    for (const BenchmarkChange& c : r.changes) names.insert(c.name);
  }
  p.expected_false_alarms = rate.estimate * static_cast<double>(names.size());
  return p;
}

double NoiseProfile::ResolutionFor(const std::string& benchmark) const {
  for (const FamilyNoise& f : families) {
    if (f.family == Family(benchmark)) return f.resolution_pct;
  }
  return NAN;
}

double NoiseProfile::DriftFor(const std::string& benchmark) const {
  if (drift.empty()) return NAN;
  std::vector<double> family, all;
  double own = NAN;
  for (const BenchmarkDrift& d : drift) {
    all.push_back(d.process_drift_pct);
    if (Family(d.name) == Family(benchmark)) family.push_back(d.process_drift_pct);
    if (d.name == benchmark) own = d.process_drift_pct;
  }
  if (family.empty()) return Median(all) / 100;
  return std::max(std::isfinite(own) ? own : 0.0, Median(family)) / 100;
}

nlohmann::json NoiseProfile::ToJson() const {
  nlohmann::json j = {{"schema", "tinytorch-noise-profile"},
                      {"schema_version", 2},
                      {"fingerprint", fingerprint},
                      {"rounds", rounds},
                      {"repetitions", repetitions},
                      {"threshold_pct", threshold_pct},
                      {"benchmarks", benchmarks},
                      {"false_alarms", false_alarms},
                      {"false_alarm_rate", false_alarm_rate},
                      {"false_alarm_rate_ci", {false_alarm_low, false_alarm_high}},
                      {"expected_false_alarms", expected_false_alarms},
                      {"recommended_runs", recommended_runs},
                      {"families", nlohmann::json::array()},
                      {"drift", nlohmann::json::array()}};
  const auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nullptr; };
  for (const FamilyNoise& f : families) {
    j["families"].push_back({{"family", f.family},
                             {"benchmarks", f.benchmarks},
                             {"median_abs_change_pct", f.median_abs_change_pct},
                             {"resolution_pct", f.resolution_pct},
                             {"process_drift_pct", number(f.process_drift_pct)}});
  }
  for (const BenchmarkDrift& d : drift) {
    j["drift"].push_back(
        {{"name", d.name}, {"runs", d.runs}, {"process_drift_pct", d.process_drift_pct}});
  }
  return j;
}

NoiseProfile NoiseProfile::FromJson(const nlohmann::json& j, const std::string& source) {
  PERF_CHECK(j.is_object() && j.contains("schema") && j["schema"] == "tinytorch-noise-profile",
             source, ": not a noise profile (schema 'tinytorch-noise-profile')");
  const int version =
      j.contains("schema_version") ? JsonInt(j["schema_version"], source + ": schema_version") : 0;
  PERF_CHECK(version == 1 || version == 2, source, ": noise profile version ", version,
             " is not 1 or 2");
  NoiseProfile p;
  try {
    p.fingerprint = j.at("fingerprint").get<std::string>();
    p.rounds = JsonInt(j.at("rounds"), source + ": rounds");
    p.repetitions = JsonInt(j.at("repetitions"), source + ": repetitions");
    p.threshold_pct = j.at("threshold_pct").get<double>();
    p.benchmarks = JsonInt(j.at("benchmarks"), source + ": benchmarks");
    p.false_alarms = JsonInt(j.at("false_alarms"), source + ": false_alarms");
    p.false_alarm_rate = j.at("false_alarm_rate").get<double>();
    p.false_alarm_low = j.at("false_alarm_rate_ci").at(0).get<double>();
    p.false_alarm_high = j.at("false_alarm_rate_ci").at(1).get<double>();
    p.expected_false_alarms = j.at("expected_false_alarms").get<double>();
    for (const auto& f : j.at("families")) {
      const auto& drift = version == 1 ? nlohmann::json() : f.at("process_drift_pct");
      p.families.push_back({f.at("family").get<std::string>(),
                            JsonInt(f.at("benchmarks"), source + ": families[].benchmarks"),
                            f.at("median_abs_change_pct").get<double>(),
                            f.at("resolution_pct").get<double>(),
                            drift.is_null() ? NAN : drift.get<double>()});
    }
    if (version == 2) {
      p.recommended_runs = JsonInt(j.at("recommended_runs"), source + ": recommended_runs");
      for (const auto& d : j.at("drift")) {
        p.drift.push_back({d.at("name").get<std::string>(),
                           JsonInt(d.at("runs"), source + ": drift[].runs"),
                           d.at("process_drift_pct").get<double>()});
        PERF_CHECK(std::isfinite(p.drift.back().process_drift_pct) &&
                       p.drift.back().process_drift_pct >= 0,
                   source, ": drift of ", p.drift.back().name, " is not a percentage");
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": malformed noise profile (" + e.what() + ")");
  }
  return p;
}

std::string NoiseProfile::ToText() const {
  constexpr size_t kFamilyWidth = 36;
  std::ostringstream s;
  s << "Noise profile of " << escape::Terminal(fingerprint) << " (A/A: " << rounds
    << " pairs of single runs, " << repetitions << " repetitions each"
    << (drift.empty() ? "" : ", drift held out of each pair") << ")\n";
  const auto pct = [](double v) {
    std::ostringstream os;
    os << std::fixed << std::setprecision(2) << v << '%';
    return os.str();
  };
  s << format::PadRight("family", kFamilyWidth) << ' ' << std::setw(5) << "n" << ' '
    << std::setw(14) << "median |A/A|" << ' ' << std::setw(12) << "resolution" << ' '
    << std::setw(12) << "run drift" << '\n';
  for (const FamilyNoise& f : families) {
    s << format::PadRight(format::TerminalName(f.family), kFamilyWidth) << ' ' << std::setw(5)
      << f.benchmarks << ' ' << std::setw(14) << pct(f.median_abs_change_pct) << ' '
      << std::setw(12) << pct(f.resolution_pct) << ' ' << std::setw(12) << pct(f.process_drift_pct)
      << "\n";
  }
  if (recommended_runs > 0) {
    s << "Runs per side to resolve " << Num(threshold_pct)
      << "% at the median drift (80% power, Holm over " << drift.size()
      << " benchmarks): " << recommended_runs << "\n";
  }
  s << std::fixed << std::setprecision(0) << "False alarms: " << false_alarms << " of "
    << benchmarks << " A/A benchmarks called regressions at the " << threshold_pct << "% threshold "
    << std::setprecision(3) << "(rate " << false_alarm_rate << ", 95% CI [" << false_alarm_low
    << ", " << false_alarm_high << "]); expect " << std::setprecision(2) << expected_false_alarms
    << " false regression(s) per comparison of the whole suite.\n";
  return s.str();
}

}  // namespace perf
