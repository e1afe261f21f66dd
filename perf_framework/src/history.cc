// Trends over validation runs and their change points.
#include "perf_framework/history.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <map>
#include <regex>
#include <sstream>

#include "perf_framework/error.h"
#include "perf_framework/escape.h"
#include "perf_framework/format.h"
#include "perf_framework/regression.h"
#include "perf_framework/run_folder.h"
#include "perf_framework/statistics.h"
#include "perf_framework/suite.h"

namespace perf {

namespace {

void Segment(const std::vector<double>& v, size_t begin, size_t end, double min_change,
             double alpha, size_t min_segment, std::vector<ChangePoint>& out) {
  if (end - begin < 2 * min_segment) return;
  // The split that leaves the least absolute deviation from each side's median. (The most
  // significant split or the largest shift of medians favour lopsided splits when there are more
  // than two levels, moving the change point off the true boundary.)
  const auto cost = [&v](size_t from, size_t to) {
    const std::span<const double> part(v.data() + from, to - from);
    const double m = Median(part);
    double c = 0;
    for (const double x : part) c += std::abs(x - m);
    return c;
  };
  size_t best = 0;
  double best_cost = INFINITY;
  for (size_t k = begin + min_segment; k + min_segment <= end; ++k) {
    const double c = cost(begin, k) + cost(k, end);
    if (c < best_cost) best_cost = c, best = k;
  }
  const std::span<const double> before(v.data() + begin, best - begin),
      after(v.data() + best, end - best);
  ChangePoint c;
  c.index = best;
  c.before_median = Median(before);
  c.after_median = Median(after);
  c.change_pct = 100 * (c.after_median / c.before_median - 1);
  c.p_value = MannWhitneyU(before, after).p_value;
  if (std::abs(c.after_median / c.before_median - 1) <= min_change || !(c.p_value < alpha)) return;
  Segment(v, begin, best, min_change, alpha, min_segment, out);
  out.push_back(c);
  Segment(v, best, end, min_change, alpha, min_segment, out);
}

}  // namespace

std::vector<ChangePoint> FindChangePoints(const std::vector<double>& values, double min_change,
                                          double alpha, size_t min_segment) {
  PERF_CHECK(min_segment >= 2, "FindChangePoints: min_segment ", min_segment, " must be >= 2");
  std::vector<ChangePoint> out;
  const bool positive =
      std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v) && v > 0; });
  if (positive) Segment(values, 0, values.size(), min_change, alpha, min_segment, out);
  return out;
}

std::vector<ChangePoint> CountSteps(const std::vector<double>& values, double threshold_pct) {
  std::vector<ChangePoint> out;
  for (size_t i = 1; i < values.size(); ++i) {
    const double before = values[i - 1], after = values[i];
    if (!(before > 0) || !std::isfinite(before) || !std::isfinite(after)) continue;
    const double pct = 100 * (after / before - 1);
    if (std::abs(pct) > threshold_pct) {
      out.push_back({.index = i,
                     .before_median = before,
                     .after_median = after,
                     .change_pct = pct,
                     .p_value = kNaN});
    }
  }
  return out;
}

History BuildHistory(const std::string& validation_dir) {
  namespace fs = std::filesystem;
  PERF_CHECK(fs::is_directory(validation_dir), "BuildHistory: '", validation_dir,
             "' is not a directory");
  static const std::regex kRun("^[0-9]{8}T[0-9]{6}Z$");
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(validation_dir)) {
    if (e.is_directory() && !e.is_symlink() &&
        std::regex_match(e.path().filename().string(), kRun)) {
      dirs.push_back(e.path());
    }
  }
  std::sort(dirs.begin(), dirs.end());  // the names sort by time
  PERF_CHECK(!dirs.empty(), "BuildHistory: no run directories (YYYYMMDDTHHMMSSZ) in '",
             validation_dir, "'");
  History h;
  std::map<std::string, HistorySeries> claims, benches, counts;
  for (const fs::path& dir : dirs) {
    const size_t run = h.runs.size();
    bool any = false;
    if (fs::exists(dir / "results.json")) {
      try {
        for (const ClaimResult& c : ReadResults((dir / "results.json").string()).claims) {
          if (!std::isfinite(c.outcome.evidence.value)) continue;
          HistorySeries& s = claims["claim " + c.module + "/" + c.id];
          s.unit = c.outcome.evidence.unit;
          s.runs.push_back(run);
          s.values.push_back(c.outcome.evidence.value);
          any = true;
        }
      } catch (const std::exception& e) {
        h.warnings.push_back(dir.filename().string() + ": results.json skipped: " + e.what());
      }
    }
    RunBenchmarks bench = ReadRunBenchmarks(dir.string());
    for (const auto& [name, median] : bench.median_ns) {
      HistorySeries& s = benches[kBenchSeries + name];
      s.unit = "ns";
      s.runs.push_back(run);
      s.values.push_back(median);
      any = true;
    }
    for (const auto& [name, counters] : bench.counts) {
      const auto it = counters.find("instructions");
      if (it == counters.end()) continue;
      HistorySeries& s = counts[kInstructionsSeries + name];
      s.unit = "per iteration";
      s.runs.push_back(run);
      s.values.push_back(it->second);
      any = true;
    }
    for (const std::string& w : bench.warnings) {
      h.warnings.push_back(dir.filename().string() + ": " + w);
    }
    if (any) {
      h.runs.push_back(dir.filename().string());
    } else {
      h.warnings.push_back(dir.filename().string() + ": no results.json or benchmark JSON");
    }
  }
  // One bad run among good ones is a warning on the report; nothing readable at all is not an
  // empty history but input to fix.
  PERF_CHECK(!h.runs.empty(), "BuildHistory: none of the ", dirs.size(), " run directories in '",
             validation_dir, "' could be read (", h.warnings.front(), ")");
  for (auto* group : {&claims, &benches, &counts}) {
    for (auto& [metric, s] : *group) {
      s.metric = metric;
      s.change_points = group == &counts ? CountSteps(s.values) : FindChangePoints(s.values);
      h.series.push_back(std::move(s));
    }
  }
  return h;
}

namespace {

// "| `bench BM_A/8` | 12 | 20261124T060000Z | 1001 ns | 1503 ns | +50.1% | 0.0011 |": printf's
// %.4g, %+.1f and %.2g as stream manipulators, so no buffer bounds a row.
std::string ChangePointRow(const HistorySeries& s, const ChangePoint& c, const std::string& run) {
  const std::string unit = escape::MarkdownCell(s.unit);
  std::ostringstream row;
  row << "| " << format::MarkdownName(s.metric) << " | " << s.values.size() << " | "
      << escape::MarkdownCell(run) << " | " << std::setprecision(4) << c.before_median << ' '
      << unit << " | " << c.after_median << ' ' << unit << " | " << std::showpos << std::fixed
      << std::setprecision(1) << c.change_pct << "% | " << std::noshowpos << std::defaultfloat
      << std::setprecision(2);
  if (std::isfinite(c.p_value)) {
    row << c.p_value;
  } else {
    row << "exact (count)";
  }
  row << " |\n";
  return row.str();
}

}  // namespace

std::string History::ToMarkdown() const {
  std::ostringstream md;
  int flagged = 0;
  for (const HistorySeries& s : series) flagged += !s.change_points.empty();
  md << "## Performance history\n\n"
     << runs.size() << " runs (" << escape::MarkdownCell(runs.empty() ? "" : runs.front()) << " to "
     << escape::MarkdownCell(runs.empty() ? "" : runs.back()) << "), " << series.size()
     << " metrics, " << flagged
     << " with a change point (a shift of more than 10% between two stretches of runs, "
        "Mann-Whitney p < 0.01: about 6 runs on each side are needed; for instruction counts, "
        "which are exact, any step of more than 1% from one run to the next).\n\n";
  for (const std::string& w : warnings) md << "> " << escape::MarkdownCell(w) << "\n";
  if (!warnings.empty()) md << "\n";
  if (flagged == 0) {
    md << "No persistent shifts.\n";
    return md.str();
  }
  md << "| metric | runs | change point (first run after) | before | after | change | p |\n"
     << "|---|---|---|---|---|---|---|\n";
  for (const HistorySeries& s : series) {
    for (const ChangePoint& c : s.change_points) {
      md << ChangePointRow(s, c, runs[s.runs[c.index]]);
    }
  }
  return md.str();
}

}  // namespace perf
