// tinyperf report: the validation report from claim results. Given a directory of per-claim
// results files (what the validation suites write under TT_VALIDATION_DIR) it merges them into
// results.json; given a results.json it re-renders it. Either way claims.md and report.html are
// written to the output directory; with --baseline the verdicts are compared with a committed
// results file, --bench adds a log-log scaling chart per Google Benchmark JSON file, and
// --benchmarks RUN_DIR a table of the run's counted benchmarks, time beside instructions.
// Exit 0 when every contract PASSes, nothing is ERROR and no contract is worse than in the
// baseline; 1 otherwise; 2 when an input cannot be read.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.h"
#include "fileio/fileio.h"
#include "perf_framework/escape.h"
#include "perf_framework/report.h"

namespace tinyperf {

namespace fs = std::filesystem;

namespace {

struct ReportOptions {
  std::string input, out, baseline, benchmarks;
  std::vector<std::string> bench;
};

int Report(const ReportOptions& o) {
  const bool merge = fs::is_directory(o.input);
  perf::SuiteResults results;
  std::vector<perf::VerdictChange> changes;
  std::vector<perf::ScalingChart> charts;
  results = merge ? perf::MergeResultsDirectory(o.input, "validation") : perf::ReadResults(o.input);
  if (!o.baseline.empty())
    changes = perf::CompareToBaseline(perf::ReadResults(o.baseline), results);
  for (const std::string& file : o.bench) {
    perf::ScalingChart chart =
        perf::ScalingChartFromGoogleBenchmark(perf::ReadJsonFile(file), file);
    chart.title = fs::path(file).stem().string();
    if (!chart.series.empty()) charts.push_back(std::move(chart));
  }
  std::optional<perf::RunBenchmarks> benchmarks;
  if (!o.benchmarks.empty()) benchmarks = perf::ReadRunBenchmarks(o.benchmarks);
  // Beside the input: "run/claims/" names the folder run/claims, whose parent is run (the parent
  // of the path as written would be the claims folder itself).
  fs::path input = fs::path(o.input).lexically_normal();
  if (!input.has_filename()) input = input.parent_path();
  std::string out = o.out.empty() ? input.parent_path().string() : o.out;
  if (out.empty()) out = ".";
  fs::create_directories(out);
  if (merge) perf::WriteResults(results, out + "/results.json");
  std::string md = perf::ResultsMarkdown(results);
  if (!o.baseline.empty()) md += "\n" + perf::BaselineMarkdown(changes, o.baseline);
  fileio::WriteAtomically(out + "/claims.md", md);
  fileio::WriteAtomically(out + "/report.html", perf::ResultsHtml(results, charts, changes,
                                                                 benchmarks ? &*benchmarks : nullptr));
  std::printf("%s", md.c_str());
  const auto worse = std::count_if(changes.begin(), changes.end(),
                                   [](const perf::VerdictChange& c) { return c.worse; });
  std::printf(
      "\ntinyperf report: %zu claims, %ld contract(s) worse than the baseline; wrote "
      "%s/claims.md and %s/report.html\n",
      results.claims.size(), static_cast<long>(worse), perf::escape::Terminal(out).c_str(),
      perf::escape::Terminal(out).c_str());
  return results.Healthy() && worse == 0 ? kExitOk : kExitInvalid;
}

}  // namespace

void AddReportCommand(CLI::App& app, std::function<int()>& run) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* r = app.add_subcommand(
      "report",
      "Render the validation report: merge a directory of claim results into results.json, or "
      "re-render a results.json; writes claims.md and report.html. Exit 1 if a contract is not "
      "PASS, anything is ERROR, or a contract is worse than in --baseline");
  r->add_option("input", o->input, "Directory of claim results, or a results.json")
      ->required()
      ->check(CLI::ExistingPath);
  r->add_option("--out", o->out, "Output directory (default: the input's parent directory)");
  r->add_option("--baseline", o->baseline,
                "A committed results.json: exit 1 if any contract's verdict is worse than in it")
      ->check(CLI::ExistingFile);
  r->add_option("--bench", o->bench,
                "Google Benchmark JSON files (--benchmark_out), drawn as log-log scaling charts")
      ->check(CLI::ExistingFile);
  r->add_option("--benchmarks", o->benchmarks,
                "A validation run folder: each counted benchmark's median time (*_bench.json) "
                "beside its instructions per iteration (counts/*.json, tinyperf count)")
      ->check(CLI::ExistingDirectory);
  r->callback([o, &run] { run = [o] { return Report(*o); }; });
}

}  // namespace tinyperf
