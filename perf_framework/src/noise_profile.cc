// Noise profiles: drift between runs, A/A comparisons summarized per family, what a profile
// warns about a comparison, and calibrate's held-out A/A protocol.
#include "perf_framework/noise_profile.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include "perf_framework/error.h"
#include "perf_framework/escape.h"
#include "perf_framework/format.h"
#include "perf_framework/suite.h"

namespace perf {

namespace {

using format::Num;

double MedianDriftPct(const std::vector<BenchmarkDrift>& drift) {
  std::vector<double> all;
  for (const BenchmarkDrift& d : drift) all.push_back(d.process_drift_pct);
  return Median(all);
}

// The true change that `runs` runs per side flag as a regression 4 times in 5. The rule wants
// significance and an estimate beyond the threshold; at the recommended runs the first follows
// from the second, so a change of exactly the threshold is flagged only about half the time, and
// 4 in 5 needs z_0.8 standard errors (drift · √(2/runs)) more.
double FlaggedFourInFivePct(double drift_pct, double threshold_pct, int runs) {
  const double se = drift_pct / 100 * std::sqrt(2.0 / runs);
  return 100 * std::expm1(std::log1p(threshold_pct / 100) + NormalQuantile(0.8) * se);
}

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
      for (std::vector<double>& r : LogSamplesByRun(b)) groups.push_back(std::move(r));
    }
  }
  std::vector<BenchmarkDrift> out;
  for (const std::string& name : order) {
    const auto& groups = logs[name];
    PERF_CHECK(groups.size() >= 3, "ProcessDrift: ", name, " ran in ", groups.size(),
               " run(s); the drift between runs needs at least 3");
    const double var = BetweenGroupVariance(groups);
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
      families[BenchmarkFamily(c.name)].push_back(&c);
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
      if (BenchmarkFamily(d.name) == family) family_drift.push_back(d.process_drift_pct);
    }
    if (!family_drift.empty()) f.process_drift_pct = Median(family_drift);
    p.families.push_back(f);
  }
  if (!drift.empty()) {
    // n runs per side make a change t significant 4 times in 5 when z_{1−α/2m} + z_{0.8}
    // standard errors (drift · √(2/n)) fit in log(1 + t), at Holm's first step over the suite.
    const double alpha = aa.front().options.alpha;
    const double z =
        NormalQuantile(1 - alpha / (2.0 * static_cast<double>(drift.size()))) + NormalQuantile(0.8);
    const double per_side = MedianDriftPct(drift) / 100 * z / std::log1p(p.threshold_pct / 100);
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
    if (f.family == BenchmarkFamily(benchmark)) return f.resolution_pct;
  }
  return kNaN;
}

double NoiseProfile::DriftFor(const std::string& benchmark) const {
  if (drift.empty()) return kNaN;
  std::vector<double> family, all;
  double own = kNaN;
  for (const BenchmarkDrift& d : drift) {
    all.push_back(d.process_drift_pct);
    if (BenchmarkFamily(d.name) == BenchmarkFamily(benchmark))
      family.push_back(d.process_drift_pct);
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
  for (const FamilyNoise& f : families) {
    j["families"].push_back({{"family", f.family},
                             {"benchmarks", f.benchmarks},
                             {"median_abs_change_pct", f.median_abs_change_pct},
                             {"resolution_pct", f.resolution_pct},
                             {"process_drift_pct", format::JsonNumber(f.process_drift_pct)}});
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
                            drift.is_null() ? kNaN : drift.get<double>()});
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

NoiseProfile NoiseProfile::Read(const std::string& path) {
  return FromJson(ReadJsonFile(path), path);
}

std::string NoiseProfile::ToText() const {
  constexpr size_t kFamilyWidth = 36;
  std::ostringstream s;
  s << "Noise profile of " << escape::Terminal(fingerprint) << " (A/A: " << rounds
    << " pairs of single runs, " << repetitions << " repetitions each"
    << (drift.empty() ? "" : ", drift held out of each pair") << ")\n";
  const auto pct = [](double v) { return format::Fixed(v, 2) + '%'; };
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
    s << "Runs per side for a " << Num(threshold_pct)
      << "% change to be significant 4 times in 5 at the median drift (Holm over " << drift.size()
      << " benchmarks): " << recommended_runs << "; with them a regression is flagged 4 times in "
      << "5 from "
      << Num(FlaggedFourInFivePct(MedianDriftPct(drift), threshold_pct, recommended_runs))
      << "% (one of exactly " << Num(threshold_pct) << "% about half the time)\n";
  }
  s << std::fixed << std::setprecision(0) << "False alarms: " << false_alarms << " of "
    << benchmarks << " A/A benchmarks called regressions at the " << threshold_pct << "% threshold "
    << std::setprecision(3) << "(rate " << false_alarm_rate << ", 95% CI [" << false_alarm_low
    << ", " << false_alarm_high << "]); expect " << std::setprecision(2) << expected_false_alarms
    << " false regression(s) per comparison of the whole suite.\n";
  return s.str();
}

AAComparison CompareAAPairs(const std::vector<BenchmarkRun>& runs, double threshold) {
  PERF_CHECK(runs.size() >= 6 && runs.size() % 2 == 0, "CompareAAPairs: ", runs.size(),
             " runs are not 3 or more pairs (a0 b0 a1 b1 ...)");
  AAComparison aa;
  aa.drift = ProcessDrift(runs);
  const size_t rounds = runs.size() / 2;
  for (size_t round = 0; round < rounds; ++round) {
    std::vector<BenchmarkRun> others;
    for (size_t k = 0; k < runs.size(); ++k) {
      if (k / 2 != round) others.push_back(runs[k]);
    }
    NoiseProfile held_out;
    held_out.drift = ProcessDrift(others);
    ComparisonReport pair = CompareRuns(
        runs[2 * round], runs[2 * round + 1],
        {.threshold = threshold,
         .process_drift = [held_out](const std::string& n) { return held_out.DriftFor(n); }});
    if (round == 0) {
      aa.pairs = std::move(pair);
    } else {
      aa.pairs.changes.insert(aa.pairs.changes.end(), pair.changes.begin(), pair.changes.end());
    }
  }
  return aa;
}

std::vector<std::string> NoiseWarnings(const NoiseProfile& profile, const std::string& source,
                                       const ComparisonReport& report, double threshold_pct) {
  std::vector<std::string> warnings;
  if (profile.drift.empty()) {
    warnings.push_back("noise profile " + source +
                       " has no drift between runs (version 1): the repetitions of one run are "
                       "treated as independent, which overstates significance; rerun tinyperf "
                       "calibrate");
    for (const BenchmarkChange& c : report.changes) {
      const double resolution = profile.ResolutionFor(c.name);
      if (resolution > threshold_pct) {
        warnings.push_back(c.name + ": this machine's A/A resolution for its family is " +
                           Num(resolution) + "% (" + source +
                           "), above the threshold: a regression that size can hide in the noise");
      }
    }
  } else {
    warnings.push_back(
        "drift between runs from " + source + " is part of every interval and p-value; " +
        std::to_string(profile.recommended_runs) + " run(s) per side make a change of " +
        Num(profile.threshold_pct) + "% significant 4 times in 5 for the median benchmark");
  }
  warnings.push_back("noise profile " + source + ": " + std::to_string(profile.false_alarms) +
                     " false alarm(s) in " + std::to_string(profile.benchmarks) +
                     " A/A benchmarks; expect about " + Num(profile.expected_false_alarms) +
                     " false regression(s) per whole-suite comparison");
  return warnings;
}

}  // namespace perf
