// Times beside instruction counts (time_and_counts.h) rendered: a terminal table, a Markdown
// section and JSON, each row with its reading and, below the table, what each reading found means.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <map>
#include <sstream>

#include "perf_framework/escape.h"
#include "perf_framework/format.h"
#include "perf_framework/time_and_counts.h"

namespace perf {

namespace {

using format::JsonNumber;
using format::Num;
using format::SignedPercent;

// Why both: said once under every rendering.
constexpr const char* kWhyBoth =
    "A count is exact (A/A counts differ by 0); a time on a shared machine drifts between runs. "
    "Where they disagree, the count says whether the work changed and the time what the change "
    "costs on this machine.";

// An instruction change to three decimals: counts resolve far below a time's 0.1%.
std::string CountPct(double v) {
  if (!std::isfinite(v)) return "n/a";
  char buf[40];
  std::snprintf(buf, sizeof buf, std::abs(v) < 1e9 ? "%+.3f%%" : "%+.3g%%", v);
  return buf;
}

std::string TimeVerdict(const BenchmarkChange& t) {
  return std::string(ChangeVerdictName(t.verdict)) +
         (t.severity.empty() ? "" : " (" + t.severity + ")") +
         (t.method == kThresholdOnlyMethod ? " [threshold only]" : "");
}

std::string CountVerdict(const CountChange& c) {
  return c.verdict + (c.severity.empty() ? "" : " (" + c.severity + ")");
}

std::string TimeInterval(const BenchmarkChange& t) {
  if (!std::isfinite(t.ci_low_pct) || !std::isfinite(t.ci_high_pct)) return "";
  return "[" + SignedPercent(t.ci_low_pct) + ", " + SignedPercent(t.ci_high_pct) + "]";
}

// The readings found (other than agreement and "not counted"), each with its benchmarks' count.
std::map<Reading, int> ReadingsFound(const TimeAndCountComparison& r) {
  std::map<Reading, int> found;
  for (const TimeAndCount& row : r.rows) {
    if (row.reading != Reading::kAgree && row.reading != Reading::kNotCounted) ++found[row.reading];
  }
  return found;
}

std::string Summary(const TimeAndCountComparison& r) {
  int counted = 0;
  for (const TimeAndCount& row : r.rows) counted += row.instructions.has_value();
  std::ostringstream s;
  s << r.rows.size() << " benchmark(s) timed, " << counted << " of them counted: " << r.regressions
    << " with a regression (time or instructions), " << r.disagreements
    << " where time and count disagree";
  return s.str();
}

constexpr size_t kNameWidth = 44;
constexpr size_t kCountedOnlyNamed = 5;

}  // namespace

std::string TimeAndCountComparison::ToText() const {
  std::ostringstream s;
  s << "Times and instruction counts\n"
    << "  times:  " << escape::Terminal(times.baseline_source) << " -> "
    << escape::Terminal(times.current_source) << " (regression: significant and above +"
    << Num(100 * times.options.threshold) << "%)\n"
    << "  counts: " << escape::Terminal(counts.baseline_source) << " -> "
    << escape::Terminal(counts.current_source) << " (instructions per iteration; regression above +"
    << Num(counts.threshold_pct) << "%)\n";
  for (const std::string& w : warnings) s << "WARNING: " << escape::Terminal(w) << "\n";
  s << format::PadRight("benchmark", kNameWidth) << ' ' << std::setw(9) << "time" << ' '
    << std::setw(21) << "95% interval" << "  " << std::left << std::setw(24) << "time verdict"
    << std::right << std::setw(11) << "instr." << "  " << std::left << std::setw(22)
    << "count verdict" << std::right << std::setw(9) << "L1d miss" << ' ' << std::setw(9)
    << "LL miss" << "  reading\n";
  for (const TimeAndCount& row : rows) {
    const BenchmarkChange& t = row.time;
    s << format::PadRight(format::TerminalName(t.name), kNameWidth) << ' ' << std::setw(9)
      << SignedPercent(t.change_pct) << ' ' << std::setw(21) << TimeInterval(t) << "  " << std::left
      << std::setw(24) << TimeVerdict(t) << std::right << std::setw(11)
      << (row.instructions ? CountPct(row.instructions->change_pct) : "n/a") << "  " << std::left
      << std::setw(22) << (row.instructions ? CountVerdict(*row.instructions) : "not counted")
      << std::right << std::setw(9) << SignedPercent(row.l1d_change_pct) << ' ' << std::setw(9)
      << SignedPercent(row.ll_change_pct) << "  " << Explain(row.reading).name << "\n";
  }
  // A count directory often holds every binary's counts, the timing one binary: name a few.
  for (size_t i = 0; i < std::min(counted_only.size(), kCountedOnlyNamed); ++i) {
    s << "counted, not timed: " << format::TerminalName(counted_only[i]) << "\n";
  }
  if (counted_only.size() > kCountedOnlyNamed) {
    s << "counted, not timed: " << counted_only.size() - kCountedOnlyNamed << " more\n";
  }
  const auto found = ReadingsFound(*this);
  if (!found.empty()) s << "\nWhat the readings mean:\n";
  for (const auto& [reading, n] : found) {
    s << "  " << Explain(reading).name << " (" << n << "): " << Explain(reading).meaning << "\n";
  }
  s << "\n" << kWhyBoth << "\n" << Summary(*this) << "\n";
  return s.str();
}

std::string TimeAndCountComparison::ToMarkdown() const {
  std::ostringstream s;
  s << "### Times and instruction counts\n\n"
    << (regressions > 0 ? "**" + std::to_string(regressions) + " regression(s)**. "
                        : "No regressions. ")
    << Summary(*this) << ". Times " << escape::MarkdownCode(times.baseline_source) << " → "
    << escape::MarkdownCode(times.current_source) << " (regression: significant and above +"
    << Num(100 * times.options.threshold) << "%); counts "
    << escape::MarkdownCode(counts.baseline_source) << " → "
    << escape::MarkdownCode(counts.current_source)
    << " (instructions per iteration, regression above +" << Num(counts.threshold_pct)
    << "%).\n\n";
  for (const std::string& w : warnings) {
    s << "> **Warning:** " << escape::MarkdownCell(w) << "\n>\n";
  }
  if (!warnings.empty()) s << "\n";
  s << "| benchmark | time [95% CI] | time verdict | instructions | count verdict | L1d misses "
       "| LL misses | reading |\n|---|---|---|---:|---|---:|---:|---|\n";
  for (const TimeAndCount& row : rows) {
    const BenchmarkChange& t = row.time;
    const bool flag = Explain(row.reading).disagreement;
    s << "| " << format::MarkdownName(t.name) << " | " << SignedPercent(t.change_pct) << " "
      << TimeInterval(t) << " | " << TimeVerdict(t) << " | "
      << (row.instructions ? CountPct(row.instructions->change_pct) : "–") << " | "
      << (row.instructions ? CountVerdict(*row.instructions) : "not counted") << " | "
      << SignedPercent(row.l1d_change_pct) << " | " << SignedPercent(row.ll_change_pct) << " | "
      << (flag ? "**" : "") << Explain(row.reading).name << (flag ? "**" : "") << " |\n";
  }
  if (!counted_only.empty()) {
    s << "\nCounted, not timed: " << counted_only.size() << " benchmark(s).\n";
  }
  const auto found = ReadingsFound(*this);
  if (!found.empty()) s << "\n";
  for (const auto& [reading, n] : found) {
    s << "- **" << Explain(reading).name << "** (" << n << "): " << Explain(reading).meaning << "\n";
  }
  s << "\n" << kWhyBoth << "\n";
  return s.str();
}

nlohmann::json TimeAndCountComparison::ToJson() const {
  nlohmann::json j = {{"times_baseline", times.baseline_source},
                      {"times_current", times.current_source},
                      {"counts_baseline", counts.baseline_source},
                      {"counts_current", counts.current_source},
                      {"time_threshold_pct", 100 * times.options.threshold},
                      {"alpha", times.options.alpha},
                      {"count_threshold_pct", counts.threshold_pct},
                      {"jitter_pct", counts.jitter_pct},
                      {"regressions", regressions},
                      {"disagreements", disagreements},
                      {"counted_only", counted_only},
                      {"not_measured", not_measured},
                      {"warnings", warnings},
                      {"comparisons", nlohmann::json::array()}};
  for (const TimeAndCount& row : rows) {
    const BenchmarkChange& t = row.time;
    nlohmann::json e = {
        {"name", t.name},
        {"time",
         {{"baseline_median", t.baseline_median},
          {"current_median", t.current_median},
          {"unit", t.unit},
          {"change_pct", JsonNumber(t.change_pct)},
          {"ci_low_pct", JsonNumber(t.ci_low_pct)},
          {"ci_high_pct", JsonNumber(t.ci_high_pct)},
          {"p_value_adjusted", JsonNumber(t.p_value_adjusted)},
          {"verdict", ChangeVerdictName(t.verdict)},
          {"severity", t.severity.empty() ? nullptr : nlohmann::json(t.severity)},
          {"method", t.method}}},
        {"instructions", nullptr},
        {"reading", Explain(row.reading).name},
        {"disagreement", Explain(row.reading).disagreement},
        {"meaning", Explain(row.reading).meaning}};
    if (row.instructions) {
      const CountChange& c = *row.instructions;
      e["instructions"] = {{"baseline", c.baseline},
                           {"current", c.current},
                           {"change_pct", JsonNumber(c.change_pct)},
                           {"verdict", c.verdict},
                           {"severity", c.severity.empty() ? nullptr : nlohmann::json(c.severity)}};
      for (const auto& [counter, pct, direction] :
           {std::tuple{"l1d_misses", row.l1d_change_pct, row.l1d},
            std::tuple{"ll_misses", row.ll_change_pct, row.ll}}) {
        const auto it = c.others.find(counter);
        if (it == c.others.end()) continue;
        e[counter] = {{"baseline", it->second.first},
                      {"current", it->second.second},
                      {"change_pct", JsonNumber(pct)},
                      {"direction", DirectionName(direction)}};
      }
    }
    j["comparisons"].push_back(std::move(e));
  }
  return j;
}

}  // namespace perf
