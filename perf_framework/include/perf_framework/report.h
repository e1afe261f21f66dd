// The validation report: claim results gathered from many processes (one file per claim, as the
// validation suites write them) merged into one results file, compared with a baseline report
// and rendered as Markdown and as a self-contained HTML page (inline SVG charts, no scripts).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "perf_framework/run_folder.h"
#include "perf_framework/suite.h"

namespace perf {

// Every *.json results file in `directory`, merged into one SuiteResults named `suite`, claims
// sorted by module then id. The environment is the first file's; elapsed is the sum; started is
// the earliest. Throws perf::Error naming the file on an unreadable or invalid one, on a claim
// that appears twice, and when the directory holds no results file.
SuiteResults MergeResultsDirectory(const std::string& directory, const std::string& suite);

struct VerdictCounts {
  int pass = 0, partial = 0, fail = 0, error = 0;
};
VerdictCounts CountVerdicts(const std::vector<ClaimResult>& claims, ClaimKind kind);

// "MET" for a target whose verdict is PASS, "ERROR" for one not measured, "NOT JUDGED" for one
// measured against a degraded reference that did not fail, "MISSED" otherwise.
const char* TargetStatus(const ClaimResult& c);

// Markdown: the environment with its reference libraries (a loud section when one ran degraded,
// listing the claims measured against it), verdict counts per kind, the targets as MET / MISSED,
// then one table per module (claim, kind, verdict, measured value with interval, threshold,
// reason).
std::string ResultsMarkdown(const SuiteResults& results);

// A claim whose verdict differs between a baseline report and the current one. A contract is
// worse when its verdict ranks lower (PASS > PARTIAL > FAIL > ERROR); any claim is worse when it
// is missing from the current report. Published claims' and targets' verdicts never count as
// worse (they follow the hardware).
struct VerdictChange {
  std::string module, id;
  ClaimKind kind = ClaimKind::kContract;
  std::string before, after;  // verdict names; "missing" / "new" when absent on one side
  bool worse = false;
};
std::vector<VerdictChange> CompareToBaseline(const SuiteResults& baseline,
                                             const SuiteResults& current);
// Markdown section: the changes, worse ones first, or a line saying there are none.
std::string BaselineMarkdown(const std::vector<VerdictChange>& changes,
                             const std::string& baseline_name);

// A log-log chart: one line per series, e.g. time per call against problem size.
struct ScalingSeries {
  std::string name;
  std::vector<double> x, y;
};
struct ScalingChart {
  std::string title, x_label, y_label;
  std::vector<ScalingSeries> series;
};
// From Google Benchmark JSON (--benchmark_out): one series per benchmark family with a numeric
// first argument ("BM_MatMulNaive/n:256/real_time" is family BM_MatMulNaive at x = 256), y the
// real time per iteration in ns (the median over repetitions when there are several). Families
// with fewer than two sizes are left out. Throws perf::Error naming `source` on malformed input.
ScalingChart ScalingChartFromGoogleBenchmark(const nlohmann::json& j, const std::string& source);

// The whole report as one HTML page: environment, stability warnings, verdict counts, changes
// against the baseline, a chart of every speedup claim (bar at the estimate, whiskers at the
// interval, log axis, the line at 1×), the log-log scaling charts, with `benchmarks` (a run
// folder's, run_folder.h) a table of every counted benchmark's median time beside its
// instructions and simulated cache misses per iteration, and a verdict table per module. Needs
// no network and runs no script.
std::string ResultsHtml(const SuiteResults& results, const std::vector<ScalingChart>& charts = {},
                        const std::vector<VerdictChange>& changes = {},
                        const RunBenchmarks* benchmarks = nullptr);

}  // namespace perf
