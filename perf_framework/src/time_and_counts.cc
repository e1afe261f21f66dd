// Times and instruction counts joined benchmark by benchmark, and the rule that reads each pair
// (time_and_counts.h). Rendering: time_and_counts_render.cc.
#include "perf_framework/time_and_counts.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <utility>

#include "perf_framework/error.h"

namespace perf {

Direction TimeDirection(ChangeVerdict v) {
  switch (v) {
    case ChangeVerdict::kRegression:
      return Direction::kUp;
    case ChangeVerdict::kImprovement:
      return Direction::kDown;
    case ChangeVerdict::kUnchanged:
      return Direction::kFlat;
    case ChangeVerdict::kInconclusive:
    case ChangeVerdict::kError:
      break;
  }
  return Direction::kUnknown;
}

Direction CountDirection(const std::string& count_verdict) {
  if (count_verdict == "regression") return Direction::kUp;
  if (count_verdict == "improvement") return Direction::kDown;
  if (count_verdict == "unchanged" || count_verdict == "identical") return Direction::kFlat;
  return Direction::kUnknown;
}

double EstimatedCycles(const std::map<std::string, double>& counters) {
  const auto get = [&counters](const char* k) {
    const auto it = counters.find(k);
    return it == counters.end() ? 0.0 : it->second;
  };
  if (counters.count("instructions") == 0) return kNaN;
  return get("instructions") + kL1MissCycles * get("l1d_misses") +
         kBranchMispredictCycles * get("branch_mispredicts") + kLlMissCycles * get("ll_misses");
}

Direction MissDirection(double baseline_misses, double current_misses, double miss_cycles,
                        double baseline_cycles, double threshold_pct) {
  if (!std::isfinite(baseline_misses) || !std::isfinite(current_misses) ||
      !(baseline_cycles > 0) || !std::isfinite(baseline_cycles)) {
    return Direction::kUnknown;
  }
  const double cost_pct = 100 * miss_cycles * (current_misses - baseline_misses) / baseline_cycles;
  if (cost_pct > threshold_pct) return Direction::kUp;
  if (cost_pct < -threshold_pct) return Direction::kDown;
  return Direction::kFlat;
}

Reading ReadChange(Direction time, Direction instructions, Direction l1d_misses,
                   Direction ll_misses) {
  if (instructions == Direction::kUnknown) return Reading::kNotCounted;
  if (time == Direction::kUnknown) {
    return instructions == Direction::kFlat ? Reading::kTimingNoise : Reading::kCountOnly;
  }
  if (time == instructions) return Reading::kAgree;
  switch (time) {
    case Direction::kUp:  // instructions flat or down
      if (ll_misses == Direction::kUp) return Reading::kMemoryBound;
      if (l1d_misses == Direction::kUp) return Reading::kCacheBound;
      return Reading::kSlowerNotWork;
    case Direction::kDown:  // instructions flat or up
      if (ll_misses == Direction::kDown || l1d_misses == Direction::kDown) {
        return Reading::kFewerMisses;
      }
      return Reading::kFasterNotWork;
    case Direction::kFlat:  // instructions up or down
    case Direction::kUnknown:
      break;
  }
  return instructions == Direction::kUp ? Reading::kHiddenWork : Reading::kSavedWorkIdle;
}

namespace {

// The relative change of a miss counter in %, and its direction at the count threshold.
std::pair<double, Direction> MissChange(const CountChange& c, const char* counter,
                                        double miss_cycles, double threshold_pct) {
  const auto it = c.others.find(counter);
  if (it == c.others.end()) return {kNaN, Direction::kUnknown};
  std::map<std::string, double> baseline = {{"instructions", c.baseline}};
  for (const auto& [k, v] : c.others) baseline[k] = v.first;
  const auto [before, after] = it->second;
  const double pct =
      before > 0 ? 100 * (after / before - 1) : (after > 0 ? INFINITY : 0.0);
  return {pct, MissDirection(before, after, miss_cycles, EstimatedCycles(baseline),
                             threshold_pct)};
}

}  // namespace

TimeAndCountComparison JoinTimesAndCounts(ComparisonReport times, CountComparison counts) {
  PERF_CHECK(counts.metric == "instructions", "JoinTimesAndCounts: counts compare '",
             counts.metric, "', not instructions");
  TimeAndCountComparison out;
  for (const BenchmarkChange& t : times.changes) {
    TimeAndCount row;
    row.time = t;
    const auto c = std::find_if(counts.changes.begin(), counts.changes.end(),
                                [&t](const CountChange& x) { return x.name == t.name; });
    if (c != counts.changes.end()) {
      row.instructions = *c;
      std::tie(row.l1d_change_pct, row.l1d) =
          MissChange(*c, "l1d_misses", kL1MissCycles, counts.threshold_pct);
      std::tie(row.ll_change_pct, row.ll) =
          MissChange(*c, "ll_misses", kLlMissCycles, counts.threshold_pct);
    }
    row.reading = ReadChange(TimeDirection(t.verdict),
                             row.instructions ? CountDirection(row.instructions->verdict)
                                              : Direction::kUnknown,
                             row.l1d, row.ll);
    const bool count_regression = row.instructions && row.instructions->verdict == "regression";
    out.regressions += t.verdict == ChangeVerdict::kRegression || count_regression;
    out.disagreements += Explain(row.reading).disagreement;
    out.rows.push_back(std::move(row));
  }
  for (const CountChange& c : counts.changes) {
    const bool timed = std::any_of(times.changes.begin(), times.changes.end(),
                                   [&c](const BenchmarkChange& t) { return t.name == c.name; });
    if (!timed) {
      out.counted_only.push_back(c.name);
      out.regressions += c.verdict == "regression";
    }
  }
  out.warnings = times.warnings;
  out.warnings.insert(out.warnings.end(), counts.warnings.begin(), counts.warnings.end());
  std::set_union(times.not_measured.begin(), times.not_measured.end(), counts.not_measured.begin(),
                 counts.not_measured.end(), std::back_inserter(out.not_measured));
  out.times = std::move(times);
  out.counts = std::move(counts);
  return out;
}

TimeAndCountComparison CompareTimesAndCounts(const std::string& baseline,
                                             const std::string& current,
                                             const CompareFilesOptions& options,
                                             const std::string& baseline_counts,
                                             const std::string& current_counts,
                                             double count_threshold_pct, double jitter_pct) {
  FileComparison times = CompareFiles(baseline, current, options);
  PERF_CHECK(times.benchmarks.has_value(), baseline, " and ", current,
             " are results files: counts go beside Google Benchmark runs");
  return JoinTimesAndCounts(
      std::move(*times.benchmarks),
      CompareCounts(ReadCounts(baseline_counts), ReadCounts(current_counts), "instructions",
                    count_threshold_pct, jitter_pct));
}

}  // namespace perf
