// tinyperf compare BASELINE CURRENT: regression detection between two runs (perf::CompareFiles:
// Google Benchmark runs benchmark by benchmark, two results.json claim by claim), rendered as
// text, Markdown or JSON; with --counts BASELINE_COUNTS CURRENT_COUNTS the instruction counts of
// the same benchmarks beside the times, each pair read (perf::CompareTimesAndCounts).
// Exit 0 no regression, 1 at least one or a benchmark of the baseline not measured now (unless
// --allow-missing), 2 bad input or usage.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "perf_framework/counts.h"
#include "perf_framework/escape.h"
#include "perf_framework/regression.h"
#include "perf_framework/report.h"
#include "perf_framework/time_and_counts.h"

namespace tinyperf {

namespace {

struct CompareOptions {
  std::string baseline, current, format = "text", metric = perf::kDefaultBenchmarkMetric, noise;
  double threshold_pct = 10, alpha = 0.05;
  bool threshold_given = false;
  double jitter_pct = 0, count_threshold_pct = 1;
  bool allow_missing = false;  // benchmarks of the baseline not measured now do not fail the gate
  std::vector<std::string> counts;  // --counts: the baseline's and the current run's count files
};

int RenderClaims(const CompareOptions& o, const std::vector<perf::VerdictChange>& changes) {
  const auto worse =
      std::count_if(changes.begin(), changes.end(), [](const auto& x) { return x.worse; });
  if (o.format == "json") {
    nlohmann::json j = {{"comparisons", nlohmann::json::array()}, {"regressions", worse}};
    for (const perf::VerdictChange& x : changes) {
      j["comparisons"].push_back({{"name", x.module + "/" + x.id},
                                  {"kind", perf::ClaimKindName(x.kind)},
                                  {"baseline_verdict", x.before},
                                  {"current_verdict", x.after},
                                  {"verdict", x.worse ? "regression" : "changed"}});
    }
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%s", perf::BaselineMarkdown(changes, o.baseline).c_str());
  }
  return worse > 0 ? kExitInvalid : kExitOk;
}

// The gate of a timing or a count comparison: exit 1 on a regression, or on a benchmark of the
// baseline the current run did not measure (a benchmark that fails now must not pass), unless
// --allow-missing.
template <class Report>
int Gate(const CompareOptions& o, const Report& report) {
  if (!report.not_measured.empty() && !o.allow_missing) {
    std::fprintf(stderr,
                 "tinyperf compare: %zu benchmark(s) of the baseline not measured in %s; "
                 "--allow-missing if they were removed on purpose\n",
                 report.not_measured.size(), perf::escape::Terminal(o.current).c_str());
    return kExitInvalid;
  }
  return report.regressions > 0 ? kExitInvalid : kExitOk;
}

// A timing or a count comparison in the chosen format, then its Gate.
template <class Report>
int Render(const CompareOptions& o, const Report& report) {
  if (o.format == "json") {
    std::printf("%s\n", report.ToJson().dump(2).c_str());
  } else if (o.format == "markdown") {
    std::printf("%s", report.ToMarkdown().c_str());
  } else {
    std::printf("%s", report.ToText().c_str());
  }
  return Gate(o, report);
}

// An input that cannot be read, or is of the wrong kind: named on stderr, exit 2.
int Unreadable(const std::exception& e) {
  std::fprintf(stderr, "tinyperf compare: %s\n", perf::escape::Terminal(e.what()).c_str());
  return kExitUsage;
}

// Two inputs without a benchmark in common (`what`: "appears", "has instructions"): exit 2.
int NothingInCommon(const CompareOptions& o, const std::string& what) {
  std::fprintf(stderr, "tinyperf compare: no benchmark %s in both %s and %s\n", what.c_str(),
               perf::escape::Terminal(o.baseline).c_str(),
               perf::escape::Terminal(o.current).c_str());
  return kExitUsage;
}

perf::CompareFilesOptions FilesOptions(const CompareOptions& o) {
  return {.threshold_pct = o.threshold_pct,
          .alpha = o.alpha,
          .metric = o.metric,
          .noise_profile = o.noise};
}

// --metric instructions (or another count): two `tinyperf count` files, compared by the relative
// change of a deterministic number (counts.h); 1% unless --threshold says otherwise.
int CompareCountFiles(const CompareOptions& o) {
  perf::CountComparison report;
  try {
    report = perf::CompareCounts(perf::ParseCounts(perf::ReadJsonFile(o.baseline), o.baseline),
                                 perf::ParseCounts(perf::ReadJsonFile(o.current), o.current),
                                 o.metric, o.threshold_given ? o.threshold_pct : 1.0, o.jitter_pct);
  } catch (const std::exception& e) {
    return Unreadable(e);
  }
  if (report.changes.empty()) return NothingInCommon(o, "has " + o.metric);
  return Render(o, report);
}

// --counts: times and instruction counts side by side (time_and_counts.h).
int CompareTimesAndCounts(const CompareOptions& o) {
  perf::TimeAndCountComparison report;
  try {
    report = perf::CompareTimesAndCounts(o.baseline, o.current, FilesOptions(o), o.counts[0],
                                         o.counts[1], o.count_threshold_pct, o.jitter_pct);
  } catch (const std::exception& e) {
    return Unreadable(e);
  }
  if (report.rows.empty()) return NothingInCommon(o, "appears");
  return Render(o, report);
}

int Compare(const CompareOptions& o) {
  if (o.format == "families" && (perf::IsCountMetric(o.metric) || !o.counts.empty())) {
    std::fprintf(stderr,
                 "tinyperf compare: --format families lists timing regressions, not "
                 "with --counts or a count --metric\n");
    return kExitUsage;
  }
  if (perf::IsCountMetric(o.metric)) {
    if (!o.counts.empty()) {
      std::fprintf(stderr,
                   "tinyperf compare: --counts goes beside a time metric, not --metric %s\n",
                   o.metric.c_str());
      return kExitUsage;
    }
    return CompareCountFiles(o);
  }
  if (!o.counts.empty()) return CompareTimesAndCounts(o);
  perf::FileComparison result;
  try {
    result = perf::CompareFiles(o.baseline, o.current, FilesOptions(o));
    if (result.claims && o.format == "families") {
      std::fprintf(stderr,
                   "tinyperf compare: --format families lists benchmark families; %s and "
                   "%s are results files\n",
                   perf::escape::Terminal(o.baseline).c_str(),
                   perf::escape::Terminal(o.current).c_str());
      return kExitUsage;
    }
    if (result.claims) return RenderClaims(o, *result.claims);
  } catch (const std::exception& e) {
    return Unreadable(e);
  }
  if (result.benchmarks->changes.empty()) return NothingInCommon(o, "appears");
  if (o.format == "families") {
    // One a line, as names from a file: escaped for the terminal (a line break cannot forge a
    // second family, an escape sequence cannot reach the terminal through confirm.sh).
    for (const std::string& family : result.benchmarks->RegressedFamilies()) {
      std::printf("%s\n", perf::escape::Terminal(family).c_str());
    }
    return result.benchmarks->regressions > 0 ? kExitInvalid : kExitOk;  // families to rerun
  }
  return Render(o, *result.benchmarks);
}

}  // namespace

void AddCompareCommand(CLI::App& app, std::function<int()>& run) {
  auto o = std::make_shared<CompareOptions>();
  CLI::App* c = app.add_subcommand(
      "compare",
      "Compare two runs: Google Benchmark JSON (run with --benchmark_repetitions=N) benchmark by "
      "benchmark (with --counts, each benchmark's instruction count beside its time), or two "
      "results.json claim by claim. Exit 1 on a regression, or on a benchmark of the baseline not "
      "measured now (unless --allow-missing)");
  c->add_option("baseline", o->baseline, "Baseline file, or a directory of Google Benchmark runs")
      ->required()
      ->check(CLI::ExistingPath);
  c->add_option("current", o->current, "Current file, or a directory of Google Benchmark runs")
      ->required()
      ->check(CLI::ExistingPath);
  c->add_option("--threshold", o->threshold_pct,
                "Slowdown in % that counts as a regression when significant (default 10; 1 for "
                "counts)")
      ->check(CLI::Range(0.1, 1000.0))
      ->each([o](const std::string&) { o->threshold_given = true; });
  c->add_option("--jitter", o->jitter_pct,
                "Counts only: a change of at most this % is 'identical' (default 0)")
      ->check(CLI::Range(0.0, 100.0));
  c->add_flag("--allow-missing", o->allow_missing,
              "Benchmarks of the baseline that the current run did not measure (absent, or an "
              "error) are listed but do not fail the comparison");
  c->add_option("--alpha", o->alpha, "Family-wise significance level, Holm-corrected (0.05)")
      ->check(CLI::Range(1e-6, 0.5));
  c->add_option("--metric", o->metric,
                "real_time or cpu_time; for `tinyperf count` files instructions, l1d_misses, "
                "ll_misses or branch_mispredicts")
      ->check(CLI::IsMember({"real_time", "cpu_time", "instructions", "l1d_misses", "ll_misses",
                             "branch_mispredicts"}));
  c->add_option("--counts", o->counts,
                "Instruction counts beside the times: BASELINE_COUNTS CURRENT_COUNTS, each a "
                "`tinyperf count` file or a directory of them; each benchmark's time and count "
                "changes are read together (more work, cache misses, hidden work)")
      ->expected(2)
      ->check(CLI::ExistingPath);
  c->add_option("--count-threshold", o->count_threshold_pct,
                "With --counts: the instruction change in % that is a regression (default 1)")
      ->check(CLI::Range(0.001, 1000.0));
  c->add_option("--noise", o->noise,
                "A noise profile from tinyperf calibrate: warns where noise exceeds the threshold")
      ->check(CLI::ExistingFile);
  c->add_option("--format", o->format,
                "text, markdown, json, or families: the benchmark families called regressions, "
                "one a line (for scripts/confirm.sh)")
      ->check(CLI::IsMember({"text", "markdown", "json", "families"}));
  c->callback([o, &run] { run = [o] { return Compare(*o); }; });
}

}  // namespace tinyperf
