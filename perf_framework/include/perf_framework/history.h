// Trends over validation runs: every run directory under validation_results/ (named by its UTC
// start, e.g. 20261124T093430Z/) contributes its claims' measured values (results.json), its
// benchmarks' median times and, when the run was counted, their instructions per iteration
// (run_folder.h), one series per metric, and each series is searched for change points: shifts
// that persist, not one noisy run. A count is exact, so every step beyond 1% is one (CountSteps).
#pragma once

#include <string>
#include <vector>

namespace perf {

struct ChangePoint {
  size_t index = 0;  // the first run after the shift
  double before_median = 0, after_median = 0;
  double change_pct = 0;  // after / before − 1
  double p_value = 1;     // two-sided Mann–Whitney U, before vs after
};

// Binary segmentation: the split (at least `min_segment` runs each side) that leaves the least
// absolute deviation from each side's median is a change point when the shift exceeds `min_change`
// (relative) and Mann–Whitney gives p < alpha; both halves are then searched again. At alpha 0.01
// each side needs about 6 runs (5 against 5 with one tie reaches only p = 0.012). Values must be
// positive (times, ratios); a series with a non-positive value gets no change points.
std::vector<ChangePoint> FindChangePoints(const std::vector<double>& values,
                                          double min_change = 0.10, double alpha = 0.01,
                                          size_t min_segment = 3);

// Instruction counts do not drift: each step between two consecutive values beyond threshold_pct
// (relative) is a change point, its p_value NaN (there is no test to make). A step from a
// non-positive or non-finite value, or to a non-finite one, gives none (there is no ratio).
std::vector<ChangePoint> CountSteps(const std::vector<double>& values, double threshold_pct = 1.0);

// The prefixes of a benchmark's series names: its median time and its instruction count.
inline constexpr const char* kBenchSeries = "bench ";
inline constexpr const char* kInstructionsSeries = "instructions ";

struct HistorySeries {
  // "claim module_17_acceleration/naive_to_library_5_to_100x", "bench BM_...", "instructions BM_..."
  std::string metric;
  std::string unit;
  std::vector<size_t> runs;  // indices into History::runs
  std::vector<double> values;
  std::vector<ChangePoint> change_points;  // ChangePoint::index indexes `values`
};

struct History {
  std::vector<std::string> runs;      // run directory names, oldest first
  // claims first, then benchmark times, then instruction counts, each sorted by name
  std::vector<HistorySeries> series;
  std::vector<std::string> warnings;  // runs that could not be read, and why

  std::string ToMarkdown() const;
  // Self-contained: one inline SVG line chart per series with change points marked, series with
  // change points first, a benchmark's instruction series beside its time series; no script.
  std::string ToHtml() const;
};

// One inline SVG line chart of `s` (a point per value at x = its run index among `runs` runs,
// change points dashed, every label HTML-escaped); History::ToHtml and the results server's
// dashboard draw with it.
std::string TrendSvg(const HistorySeries& s, size_t runs);

// Reads every run directory of `validation_dir`; a run that cannot be read is a warning. Throws
// perf::Error when there is no run directory, or none can be read.
History BuildHistory(const std::string& validation_dir);

}  // namespace perf
