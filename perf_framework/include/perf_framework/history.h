// Trends over validation runs: every run directory under validation_results/ (named by its UTC
// start, e.g. 20261124T093430Z/) contributes its claims' measured values (results.json) and its
// benchmarks' median times (bench/*.json from the nightly, else the single runs *_bench.json),
// one series per metric, and each series is searched for change points: shifts that persist, not
// one noisy run.
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

struct HistorySeries {
  std::string metric;  // "claim module_17_acceleration/naive_to_library_5_to_100x", "bench BM_..."
  std::string unit;
  std::vector<size_t> runs;  // indices into History::runs
  std::vector<double> values;
  std::vector<ChangePoint> change_points;  // ChangePoint::index indexes `values`
};

struct History {
  std::vector<std::string> runs;      // run directory names, oldest first
  std::vector<HistorySeries> series;  // claims first, then benchmarks, each sorted by name
  std::vector<std::string> warnings;  // runs that could not be read, and why

  std::string ToMarkdown() const;
  // Self-contained: one inline SVG line chart per series with change points marked, series with
  // change points first; no script.
  std::string ToHtml() const;
};

// Reads every run directory of `validation_dir`; a run that cannot be read is a warning. Throws
// perf::Error when there is no run directory, or none can be read.
History BuildHistory(const std::string& validation_dir);

}  // namespace perf
