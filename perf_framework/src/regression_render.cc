// A comparison of two runs rendered: JSON, a terminal table, a Markdown section.
#include <cmath>
#include <iomanip>
#include <map>
#include <sstream>

#include "perf_framework/escape.h"
#include "perf_framework/format.h"
#include "perf_framework/regression_compare.h"

namespace perf {

namespace {

using format::JsonNumber;
using format::Num;
using format::SignedPercent;

}  // namespace

nlohmann::json ComparisonReport::ToJson() const {
  nlohmann::json j = {{"baseline", baseline_source},
                      {"current", current_source},
                      {"threshold_pct", 100 * options.threshold},
                      {"alpha", options.alpha},
                      {"confidence", options.confidence},
                      {"comparisons", nlohmann::json::array()},
                      {"regressions", regressions},
                      {"only_in_baseline", only_in_baseline},
                      {"only_in_current", only_in_current},
                      {"not_measured", not_measured},
                      {"warnings", warnings}};
  for (const BenchmarkChange& c : changes) {
    j["comparisons"].push_back(
        {{"name", c.name},
         {"baseline_median", c.baseline_median},
         {"current_median", c.current_median},
         {"unit", c.unit},
         {"change_pct", JsonNumber(c.change_pct)},
         {"ci_low_pct", JsonNumber(c.ci_low_pct)},
         {"ci_high_pct", JsonNumber(c.ci_high_pct)},
         {"p_value", JsonNumber(c.p_value)},
         {"p_value_adjusted", JsonNumber(c.p_value_adjusted)},
         {"n_baseline", c.n_baseline},
         {"n_current", c.n_current},
         {"verdict", ChangeVerdictName(c.verdict)},
         {"severity", c.severity.empty() ? nullptr : nlohmann::json(c.severity)},
         {"method", c.method},
         {"reason", c.reason},
         {"repetitions_to_settle", c.repetitions_to_settle},
         {"runs_baseline", c.runs_baseline},
         {"runs_current", c.runs_current},
         {"process_drift_pct", JsonNumber(c.process_drift_pct)},
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

std::string TextHeader(const std::string& unit) {
  std::ostringstream row;
  row << format::PadRight("benchmark", kTextNameWidth) << ' ' << std::setw(12) << "baseline " + unit
      << ' ' << std::setw(12) << "current " + unit << ' ' << std::setw(9) << "change" << ' '
      << std::setw(21) << "95% interval" << ' ' << std::setw(9) << "p (Holm)" << ' ' << std::setw(5)
      << 'n' << "  verdict\n";
  return row.str();
}

std::string TextRow(const BenchmarkChange& c) {
  const std::string ci =
      "[" + SignedPercent(c.ci_low_pct) + ", " + SignedPercent(c.ci_high_pct) + "]";
  const std::string verdict = std::string(ChangeVerdictName(c.verdict)) +
                              (c.severity.empty() ? "" : " (" + c.severity + ")") +
                              (c.method == kThresholdOnlyMethod ? " [threshold only]" : "");
  std::ostringstream row;
  row << format::PadRight(format::TerminalName(c.name), kTextNameWidth) << std::setprecision(4)
      << ' ' << std::setw(12) << c.baseline_median << ' ' << std::setw(12) << c.current_median
      << ' ' << std::setw(9) << SignedPercent(c.change_pct) << ' ' << std::setw(21) << ci << ' '
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
  s << TextHeader(unit);
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
    s << "| " << format::MarkdownName(c.name) << " | " << Num(c.baseline_median) << " " << c.unit
      << " | " << Num(c.current_median) << " " << c.unit << " | " << SignedPercent(c.change_pct);
    if (std::isfinite(c.ci_low_pct))
      s << " [" << SignedPercent(c.ci_low_pct) << ", " << SignedPercent(c.ci_high_pct) << "]";
    s << " | "
      << (c.method == kThresholdOnlyMethod ? std::string(kThresholdOnlyMethod)
                                           : Num(c.p_value_adjusted))
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

}  // namespace perf
